// The editor of a journal entry (templates/journals/entry.html): every change is sent to the
// server a second after the student stops typing (journals.autosave), and kept on this device
// (localStorage, one key per entry) until the server has it. The indicator says honestly which.
//
// - Offline, or the server unreachable: the copy stays here; it is sent again when the browser
//   says the connection is back, and every 15 s meanwhile.
// - Signed out (401: the session ran out), or a page from an earlier session (403): the copy
//   stays here; every 15 s the page is fetched again, and once she has launched Driehoek again
//   from her course (in any tab) its fresh token is taken and the copy sent.
// - Opening the entry with a copy here that the server lacks (a closed tab, an expired session):
//   when the copy was based on the revision the server still has, nobody saved since, so it is
//   simply sent (it is her own later typing). When the server has a newer revision, another
//   tab or device saved in between: both are shown and she chooses, as with a 409.
// - A 409 never overwrites: the differences are shown; "keep mine" sends this device's text on
//   top of the other revision, "take theirs" puts the stored text in the fields.
// Without this script the Save and Submit buttons post the whole entry (journals.save_entry).
(function () {
  "use strict";
  var PREFIX = "driehoek.journal.";

  function forget(entryId) {
    try {
      window.localStorage.removeItem(PREFIX + entryId);
    } catch (e) {
      /* storage unavailable: nothing was kept */
    }
  }

  var done = document.getElementById("entry-done");
  if (done) {
    forget(done.getAttribute("data-entry-id")); // submitted: the device keeps nothing of it
  }
  var form = document.getElementById("entry-form");
  if (!form) {
    return;
  }
  var status = document.getElementById("save-status");
  var conflictBox = document.getElementById("conflict");
  var diff = document.getElementById("conflict-diff");
  var url = form.getAttribute("data-autosave");
  var storeKey = PREFIX + form.getAttribute("data-entry-id");
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
    blocked: "", // "auth" (signed out), "conflict" (she chooses), "submitted"
    theirs: null
  };

  // -- the entry's content --------------------------------------------------------------------

  function textareas() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name.indexOf("a-") === 0;
    });
  }

  // Characters the server refuses in any text (lti_app/core/input.py: control characters, as
  // pasted from elsewhere): left out of what is sent, so one of them never blocks a save.
  var UNSTORABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

  function collect() {
    var answers = {};
    textareas().forEach(function (el) {
      answers[el.name.slice(2)] = el.value.replace(UNSTORABLE, "");
    });
    var competencies = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name === "competency" && el.checked) {
        competencies.push(el.value);
      }
    });
    var title = form.elements.namedItem("title");
    var final = form.elements.namedItem("is_final");
    return {
      title: title ? title.value.replace(UNSTORABLE, "") : "",
      answers: answers,
      competencies: competencies,
      is_final: final ? final.checked : false
    };
  }

  // The text as the server stores it (sanitize.py: paragraphs at blank lines, empty ones
  // dropped; a title on one line), so that a page saved without script is not taken for a
  // different text when it comes back.
  function norm(text) {
    return String(text || "")
      .replace(/\r\n?/g, "\n")
      .split(/\n[ \t]*\n+/)
      .map(function (p) {
        return p.replace(/^\n+|\n+$/g, "");
      })
      .filter(function (p) {
        return p.trim() !== "";
      })
      .join("\n\n");
  }

  function canon(content) {
    var sorted = {};
    Object.keys(content.answers || {}).sort().forEach(function (k) {
      var text = norm(content.answers[k]);
      if (text) {
        sorted[k] = text;
      }
    });
    return JSON.stringify([
      String(content.title || "").split(/\s+/).filter(Boolean).join(" "),
      sorted,
      (content.competencies || []).slice().sort(),
      !!content.is_final
    ]);
  }

  function apply(content) {
    var answers = content.answers || {};
    textareas().forEach(function (el) {
      var value = answers[el.name.slice(2)];
      el.value = typeof value === "string" ? value : "";
    });
    var competencies = content.competencies || [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name === "competency") {
        el.checked = competencies.indexOf(el.value) !== -1;
      }
    });
    var title = form.elements.namedItem("title");
    if (title && typeof content.title === "string") {
      title.value = content.title;
    }
    var final = form.elements.namedItem("is_final");
    if (final) {
      final.checked = !!content.is_final;
    }
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
    state.timer = null;
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
          title: content.title,
          answers: content.answers,
          competencies: content.competencies,
          is_final: content.is_final
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

  // Once she launched again from her course (another tab or window), this page's token is
  // dead: fetch the page anew for a live one, then send.
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
        var token = page.querySelector("#entry-form input[name='csrf_token']");
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

  function labelFor(id) {
    var label = form.querySelector("label[for='" + id + "']");
    return label ? label.textContent.trim() : id;
  }

  function differences(mine, theirs) {
    var rows = [];
    var empty = conflictBox.getAttribute("data-empty");
    if ((mine.title || "") !== (theirs.title || "")) {
      rows.push([labelFor("title"), mine.title || empty, theirs.title || empty]);
    }
    textareas().forEach(function (el) {
      var key = el.name.slice(2);
      var a = (mine.answers[key] || "").trim();
      var b = ((theirs.answers || {})[key] || "").trim();
      if (a !== b) {
        rows.push([labelFor(el.id), a || empty, b || empty]);
      }
    });
    return rows;
  }

  function line(label, text) {
    var p = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = label + ": ";
    p.appendChild(strong);
    var span = document.createElement("span");
    span.className = "answer-text";
    span.textContent = text;
    p.appendChild(span);
    return p;
  }

  function conflict(theirs) {
    stopRetry();
    if (theirs.submitted) {
      state.blocked = "submitted";
      keep(false);
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
      return; // kept here; sent once she chose, or signed in again
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
        title: server.title,
        answers: server.answers,
        competencies: server.competencies,
        is_final: server.is_final
      });
    }
  } else {
    keep(true);
  }
})();
