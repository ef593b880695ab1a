// The fill page of a feedback form (templates/feedback/form.html): every change is sent to the
// server a second after the author stops typing (feedback.autosave), and kept on this device
// (localStorage, one key per form) until the server has it. The indicator at the top says
// honestly which of the two it is.
//
// - Offline, or the server unreachable: the copy stays here; it is sent again when the browser
//   says the connection is back, and every 15 s meanwhile.
// - Signed out (401), or a page from an earlier session (403): the copy stays here; every 15 s
//   the page is fetched again, and once the author has signed in again (in any tab) its fresh
//   token is taken and the copy sent.
// - Opening the page with a copy here that the server lacks: when the copy was based on the
//   revision the server still has, nobody saved anything since, so it is simply sent (it is the
//   author's own later typing). When the server has a newer revision, another device saved in
//   between: both are shown and the author chooses, as with a 409 while typing.
// - A 409 never overwrites: the differences are shown side by side; "keep mine" sends this
//   device's version on top of the other one's revision, "take theirs" puts it in the fields.
// Without this script the Save and Submit buttons post the whole form (feedback.save).
(function () {
  "use strict";
  var PREFIX = "driehoek.feedback.";

  function forget(formId) {
    try {
      window.localStorage.removeItem(PREFIX + formId);
    } catch (e) {
      /* storage unavailable: nothing was kept */
    }
  }

  var done = document.getElementById("form-done");
  if (done) {
    forget(done.getAttribute("data-form-id")); // submitted: the device keeps nothing of it
  }
  var form = document.getElementById("fill-form");
  if (!form) {
    return;
  }
  var status = document.getElementById("save-status");
  var conflictBox = document.getElementById("conflict");
  var diff = document.getElementById("conflict-diff");
  var url = form.getAttribute("data-autosave");
  var storeKey = PREFIX + form.getAttribute("data-form-id");
  var revisionField = form.elements.namedItem("revision");
  var tokenField = form.elements.namedItem("csrf_token");
  var RETRY_MS = 15000;
  var DEBOUNCE_MS = 1000;
  var state = {
    revision: parseInt(revisionField.value, 10) || 0,
    sending: null,
    again: false,
    timer: null,
    retry: null,
    blocked: "", // "auth" (signed out), "conflict" (the author chooses), "submitted"
    theirs: null
  };

  // -- the form's content -------------------------------------------------------------------

  function field(name) {
    var el = form.elements.namedItem(name);
    return el && el.value !== undefined ? el.value : "";
  }

  function collect() {
    var answers = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name.indexOf("a-") !== 0) {
        return;
      }
      var key = el.name.slice(2);
      if (el.type === "radio") {
        if (el.checked) {
          answers[key] = el.value;
        }
      } else if (el.type === "checkbox") {
        if (el.checked) {
          (answers[key] = answers[key] || []).push(el.value);
        }
      } else if (el.value.trim() !== "") {
        answers[key] = el.value;
      }
    });
    return {
      answers: answers,
      lesson_date: field("lesson_date"),
      class_name: field("class_name"),
      subject: field("subject")
    };
  }

  function canon(content) {
    var sorted = {};
    Object.keys(content.answers || {}).sort().forEach(function (k) {
      sorted[k] = content.answers[k];
    });
    return JSON.stringify([
      sorted,
      content.lesson_date || "",
      content.class_name || "",
      content.subject || ""
    ]);
  }

  function apply(content) {
    var answers = content.answers || {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name.indexOf("a-") !== 0) {
        return;
      }
      var value = answers[el.name.slice(2)];
      if (el.type === "radio") {
        el.checked = value === el.value;
      } else if (el.type === "checkbox") {
        el.checked = Array.isArray(value) && value.indexOf(el.value) !== -1;
      } else {
        el.value = typeof value === "string" ? value : "";
        var details = el.closest ? el.closest("details") : null;
        if (details && el.value) {
          details.open = true;
        }
      }
    });
    ["lesson_date", "class_name", "subject"].forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (el && typeof content[name] === "string") {
        el.value = content[name];
      }
    });
  }

  // -- the copy on this device ----------------------------------------------------------------

  function keep(saved) {
    try {
      window.localStorage.setItem(
        storeKey,
        JSON.stringify({ base: state.revision, content: collect(), saved: saved })
      );
    } catch (e) {
      /* private mode or full: the server copy is all there is */
    }
  }

  function kept() {
    try {
      return JSON.parse(window.localStorage.getItem(storeKey) || "null");
    } catch (e) {
      return null;
    }
  }

  // -- the indicator --------------------------------------------------------------------------

  function show(what, time) {
    var text = status.getAttribute("data-" + what) || "";
    status.textContent = time ? text.replace("{time}", time) : text;
    status.classList.toggle("unsaved", what !== "saved" && what !== "saving" && what !== "kept");
  }

  // -- sending --------------------------------------------------------------------------------

  function schedule() {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(send, DEBOUNCE_MS);
  }

  function startRetry() {
    if (!state.retry) {
      state.retry = window.setInterval(retryNow, RETRY_MS);
    }
  }

  function stopRetry() {
    window.clearInterval(state.retry);
    state.retry = null;
  }

  function retryNow() {
    if (state.blocked === "auth") {
      freshToken();
    } else if (!state.blocked) {
      send();
    }
  }

  function send() {
    window.clearTimeout(state.timer);
    if (state.blocked) {
      return;
    }
    if (state.sending) {
      state.again = true;
      return;
    }
    if (navigator.onLine === false) {
      show("offline");
      startRetry();
      return;
    }
    var content = collect();
    var sent = canon(content);
    show("saving");
    state.sending = window
      .fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": tokenField.value
        },
        body: JSON.stringify({
          revision: state.revision,
          answers: content.answers,
          lesson_date: content.lesson_date,
          class_name: content.class_name,
          subject: content.subject
        })
      })
      .then(
        function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (data) {
              answered(response.status, data, sent);
            });
        },
        function () {
          show("offline");
          startRetry();
        }
      )
      .then(function () {
        state.sending = null;
        if (state.again) {
          state.again = false;
          send();
        }
      });
  }

  function answered(code, data, sent) {
    if (code === 200) {
      state.revision = data.revision;
      revisionField.value = String(data.revision);
      var unchanged = canon(collect()) === sent;
      keep(unchanged);
      if (unchanged) {
        show("saved", data.saved_at_text);
        stopRetry();
      } else {
        schedule();
      }
    } else if (code === 409) {
      conflict(data);
    } else if (code === 401 || code === 403) {
      state.blocked = "auth";
      show("signin");
      startRetry();
    } else if (code === 400 || code === 404) {
      show("refused");
    } else {
      show("offline");
      startRetry();
    }
  }

  // Once the author signed in again (another tab, the link from the mail), this page's token
  // is dead: fetch the page anew for a live one, then send.
  function freshToken() {
    window
      .fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var page = new DOMParser().parseFromString(html, "text/html");
        var token = page.querySelector("#fill-form input[name='csrf_token']");
        if (token && token.value) {
          tokenField.value = token.value;
          state.blocked = "";
          send();
        }
      })
      .catch(function () {
        /* still offline: the next round tries again */
      });
  }

  // -- two versions ---------------------------------------------------------------------------

  function describe(key, value) {
    var empty = conflictBox.getAttribute("data-empty");
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) {
      return empty;
    }
    var values = Array.isArray(value) ? value : [value];
    var inputs = Array.prototype.filter.call(form.elements, function (el) {
      return el.name === "a-" + key && (el.type === "radio" || el.type === "checkbox");
    });
    if (!inputs.length) {
      return values.join(", "); // a text: as typed
    }
    return values
      .map(function (v) {
        var input = inputs.filter(function (el) {
          return el.value === v;
        })[0];
        var label = input && input.closest ? input.closest("label") : null;
        return label ? label.textContent.trim() : String(v);
      })
      .join(", ");
  }

  function labelOf(key) {
    var name = key.indexOf(":") === -1 ? key : key.slice(0, key.indexOf(":"));
    var el = form.elements.namedItem("a-" + name) || form.elements.namedItem(key);
    if (el && el.length !== undefined && !el.tagName) {
      el = el[0];
    }
    var block = el && el.closest ? el.closest(".block") : null;
    var label = block ? block.querySelector(".block-label") : null;
    var text = label ? label.textContent.trim() : key;
    if (name !== key) {
      var summary = block ? block.querySelector("summary") : null;
      text += " — " + (summary ? summary.textContent.trim() : key);
    }
    return text;
  }

  function differences(mine, theirs) {
    var rows = [];
    var keys = {};
    Object.keys(mine.answers).concat(Object.keys(theirs.answers || {})).forEach(function (k) {
      keys[k] = true;
    });
    Object.keys(keys).forEach(function (k) {
      var a = mine.answers[k];
      var b = (theirs.answers || {})[k];
      if (JSON.stringify(a === undefined ? null : a) !== JSON.stringify(b === undefined ? null : b)) {
        rows.push([labelOf(k), describe(k, a), describe(k, b)]);
      }
    });
    ["lesson_date", "class_name", "subject"].forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (el && (mine[name] || "") !== (theirs[name] || "")) {
        var label = form.querySelector("label[for='" + name + "']");
        rows.push([label ? label.textContent.trim() : name, mine[name] || "", theirs[name] || ""]);
      }
    });
    return rows;
  }

  function line(label, text) {
    var p = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = label + ": ";
    p.appendChild(strong);
    p.appendChild(document.createTextNode(text));
    return p;
  }

  function conflict(theirs) {
    stopRetry();
    if (theirs.submitted) {
      state.blocked = "submitted";
      show("submitted");
      return;
    }
    state.blocked = "conflict";
    state.theirs = theirs;
    keep(false);
    show("conflict");
    diff.textContent = "";
    differences(collect(), theirs).forEach(function (row) {
      var item = document.createElement("div");
      item.className = "conflict-item";
      var title = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = row[0];
      title.appendChild(strong);
      item.appendChild(title);
      item.appendChild(line(conflictBox.getAttribute("data-mine"), row[1]));
      item.appendChild(line(conflictBox.getAttribute("data-theirs"), row[2]));
      diff.appendChild(item);
    });
    conflictBox.hidden = false;
    conflictBox.focus();
  }

  function settle() {
    conflictBox.hidden = true;
    state.blocked = "";
    revisionField.value = String(state.revision);
  }

  document.getElementById("keep-mine").addEventListener("click", function () {
    state.revision = state.theirs.revision;
    settle();
    send();
  });

  document.getElementById("take-theirs").addEventListener("click", function () {
    state.revision = state.theirs.revision;
    apply(state.theirs);
    settle();
    keep(true);
    status.textContent = "";
    status.classList.remove("unsaved");
  });

  // -- wiring ---------------------------------------------------------------------------------

  function changed() {
    keep(false);
    if (state.blocked) {
      return; // kept here; sent once the author chose, or signed in again
    }
    show(navigator.onLine === false ? "offline" : "saving");
    schedule();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("online", retryNow);
  window.addEventListener("offline", function () {
    if (state.timer || state.sending || (kept() || {}).saved === false) {
      show("offline");
    }
  });

  form.addEventListener("submit", function (event) {
    if (navigator.onLine === false) {
      event.preventDefault();
      show("wait");
      return;
    }
    if (state.blocked === "conflict") {
      event.preventDefault();
      conflictBox.focus();
      return;
    }
    if (state.sending) {
      // Wait for the save under way: the form must carry the revision it returns.
      event.preventDefault();
      var button = event.submitter || null;
      state.sending.then(function () {
        if (button && form.requestSubmit) {
          form.requestSubmit(button);
        } else {
          form.submit();
        }
      });
      return;
    }
    window.clearTimeout(state.timer);
    revisionField.value = String(state.revision);
    keep(false); // until the next page shows the server has it
  });

  // -- on opening -----------------------------------------------------------------------------

  var server = collect();
  var local = kept();
  if (local && local.content && local.saved === false && canon(local.content) !== canon(server)) {
    apply(local.content);
    if (local.base === state.revision) {
      show("kept");
      send();
    } else {
      conflict({
        revision: state.revision,
        answers: server.answers,
        lesson_date: server.lesson_date,
        class_name: server.class_name,
        subject: server.subject
      });
    }
  } else {
    keep(true);
  }
})();
