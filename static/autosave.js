// The autosave engine shared by the pages where someone writes at length: the mentor's feedback
// form (static/feedback-form.js) and the student's journal entry (static/journal-entry.js). Every
// change is sent to the server a second after the writer stops typing (the form's
// data-autosave: the whole content as JSON, with the revision it is based on), and kept on this
// device (localStorage, one key per record) until the server has it. The indicator says
// honestly which of the two it is.
//
// - Offline, or the server unreachable: the copy stays here; it is sent again when the browser
//   says the connection is back, and every 15 s meanwhile.
// - Signed out (401: the session ran out), or a page from an earlier session (403): the copy
//   stays here; every 15 s the page is fetched again, and once the writer has signed in again
//   (in any tab) its fresh token is taken and the copy sent.
// - Opening the page with a copy here that the server lacks (a closed tab, an expired session):
//   when the copy was based on the revision the server still has, nobody saved anything since,
//   so it is simply sent (it is the writer's own later typing). When the server has a newer
//   revision, another tab or device saved in between: both are shown and the writer chooses,
//   as with a 409 while typing.
// - A 409 never overwrites: the differences are shown side by side; "keep mine" sends this
//   device's version on top of the other one's revision, "take theirs" puts it in the fields.
// Without script the page's Save and Submit buttons post the whole form (the page's own save
// endpoint); with it, such a post waits for a save under way, so that it carries the revision
// that save returns, and is held back while offline or while the writer has yet to choose.
//
// A page says what its content is and how it is shown:
//
//   window.DriehoekAutosave.start({
//     prefix: "driehoek.feedback.",   // the localStorage key, before the record's id
//     form: "fill-form",              // the form's id (data-autosave: the endpoint)
//     done: "form-done",              // the id of the mark a page of a submitted record carries
//     idAttribute: "data-form-id",    // the record's id, on the form and on the done mark
//     collect: function (form) {},    // the fields → the content
//     apply: function (form, content) {},  // the content → the fields
//     canon: function (content) {},   // a string: equal when the server would store the same
//     fields: ["answers", ...],       // the content's fields the endpoint takes (and answers)
//     differences: function (form, mine, theirs, empty) {},  // [[label, mine, theirs], ...]
//     valueClass: "answer-text"       // optional: a class for each version's text in the box
//   });
//
// The status line, the conflict box and its buttons have the same ids on every page
// (save-status, conflict, conflict-diff, keep-mine, take-theirs); the options status,
// conflict, conflictDiff, keepMine and takeTheirs can name others.
(function () {
  "use strict";

  function forget(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (e) {
      /* storage unavailable: nothing was kept */
    }
  }

  function start(options) {
    var done = document.getElementById(options.done);
    if (done) {
      // submitted: the device keeps nothing of it
      forget(options.prefix + done.getAttribute(options.idAttribute));
    }
    var form = document.getElementById(options.form);
    if (!form) {
      return;
    }
    var status = document.getElementById(options.status || "save-status");
    var conflictBox = document.getElementById(options.conflict || "conflict");
    var diff = document.getElementById(options.conflictDiff || "conflict-diff");
    var url = form.getAttribute("data-autosave");
    var storeKey = options.prefix + form.getAttribute(options.idAttribute);
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
      blocked: "", // "auth" (signed out), "conflict" (the writer chooses), "submitted"
      theirs: null
    };

    // -- the page's content -------------------------------------------------------------------

    function collect() {
      return options.collect(form);
    }

    function apply(content) {
      options.apply(form, content);
    }

    var canon = options.canon;

    // The content as sent: the page's fields, with the revision it is based on.
    function body(content) {
      var sent = { revision: state.revision };
      options.fields.forEach(function (name) {
        sent[name] = content[name];
      });
      return sent;
    }

    // -- the copy on this device --------------------------------------------------------------

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

    // -- the indicator ------------------------------------------------------------------------

    function show(what, time) {
      var text = status.getAttribute("data-" + what) || "";
      status.textContent = time ? text.replace("{time}", time) : text;
      status.classList.toggle("unsaved", what !== "saved" && what !== "saving" && what !== "kept");
    }

    // -- sending ------------------------------------------------------------------------------

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
      state.timer = null; // nothing waits any more: going offline now says so only if unsent
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
          body: JSON.stringify(body(content))
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

    // Once the writer signed in again (another tab or window: the mentor through the link from
    // the mail, the student by launching again from her course), this page's token is dead:
    // fetch the page anew for a live one, then send.
    function freshToken() {
      window
        .fetch(window.location.href, {
          credentials: "same-origin",
          headers: { Accept: "text/html" }
        })
        .then(function (response) {
          return response.ok ? response.text() : "";
        })
        .then(function (html) {
          if (!html) {
            return;
          }
          var page = new DOMParser().parseFromString(html, "text/html");
          var token = page.querySelector("#" + options.form + " input[name='csrf_token']");
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

    // -- two versions -------------------------------------------------------------------------

    function line(label, text) {
      var p = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = label + ": ";
      p.appendChild(strong);
      if (options.valueClass) {
        var span = document.createElement("span");
        span.className = options.valueClass;
        span.textContent = text;
        p.appendChild(span);
      } else {
        p.appendChild(document.createTextNode(text));
      }
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
      var empty = conflictBox.getAttribute("data-empty");
      options.differences(form, collect(), theirs, empty).forEach(function (row) {
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

    document.getElementById(options.keepMine || "keep-mine").addEventListener("click", function () {
      state.revision = state.theirs.revision;
      settle();
      send();
    });

    document
      .getElementById(options.takeTheirs || "take-theirs")
      .addEventListener("click", function () {
        state.revision = state.theirs.revision;
        apply(state.theirs);
        settle();
        keep(true);
        status.textContent = "";
        status.classList.remove("unsaved");
      });

    // -- wiring -------------------------------------------------------------------------------

    function changed() {
      keep(false);
      if (state.blocked) {
        return; // kept here; sent once the writer chose, or signed in again
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

    // -- on opening ---------------------------------------------------------------------------

    var server = collect();
    var local = kept();
    if (local && local.content && local.saved === false && canon(local.content) !== canon(server)) {
      apply(local.content);
      if (local.base === state.revision) {
        show("kept");
        send();
      } else {
        conflict(body(server)); // the server's version, at the revision it has
      }
    } else {
      keep(true);
    }
  }

  window.DriehoekAutosave = { start: start };
})();
