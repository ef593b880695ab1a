// The editor of a journal entry (templates/journals/entry.html): every change is sent to the
// server a second after the student stops typing (journals.autosave), and kept on this device
// (localStorage, one key per entry) until the server has it. The indicator says honestly which.
// How (offline, signed out, another tab saved first, a copy left here from before) is
// static/autosave.js, shared with the feedback form; this script says what an entry's content
// is and how it is shown. On the page of a submitted entry (entry_read.html) it only forgets
// the copy this device kept.
//
// - Signed out (401: the session ran out), or a page from an earlier session (403): once she
//   has launched Driehoek again from her course (in any tab), the copy kept here is sent.
// - A 409 never overwrites: the differences are shown; "keep mine" sends this device's text on
//   top of the other revision, "take theirs" puts the stored text in the fields.
// Without this script the Save and Submit buttons post the whole entry (journals.save_entry).
(function () {
  "use strict";

  // -- the entry's content --------------------------------------------------------------------

  function textareas(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name.indexOf("a-") === 0;
    });
  }

  // Characters the server refuses in any text (lti_app/core/input.py: control characters, as
  // pasted from elsewhere): left out of what is sent, so one of them never blocks a save.
  var UNSTORABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

  function collect(form) {
    var answers = {};
    textareas(form).forEach(function (el) {
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


  function apply(form, content) {
    var answers = content.answers || {};
    textareas(form).forEach(function (el) {
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

  // -- two versions ---------------------------------------------------------------------------

  function labelFor(form, id) {
    var label = form.querySelector("label[for='" + id + "']");
    return label ? label.textContent.trim() : id;
  }

  function differences(form, mine, theirs, empty) {
    var rows = [];
    if ((mine.title || "") !== (theirs.title || "")) {
      rows.push([labelFor(form, "title"), mine.title || empty, theirs.title || empty]);
    }
    textareas(form).forEach(function (el) {
      var key = el.name.slice(2);
      var a = (mine.answers[key] || "").trim();
      var b = ((theirs.answers || {})[key] || "").trim();
      if (a !== b) {
        rows.push([labelFor(form, el.id), a || empty, b || empty]);
      }
    });
    return rows;
  }

  window.DriehoekAutosave.start({
    prefix: "driehoek.journal.",
    form: "entry-form",
    done: "entry-done",
    idAttribute: "data-entry-id",
    collect: collect,
    apply: apply,
    canon: canon,
    fields: ["title", "answers", "competencies", "is_final"],
    differences: differences,
    valueClass: "answer-text" // a text in paragraphs: its line breaks shown (journals.css)
  });
})();
