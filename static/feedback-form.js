// The fill page of a feedback form (templates/feedback/form.html): every change is sent to the
// server a second after the author stops typing (feedback.autosave), and kept on this device
// (localStorage, one key per form) until the server has it. The indicator at the top says
// honestly which of the two it is. How (offline, signed out, another device saved first, a copy
// left here from before) is static/autosave.js, shared with the journal entry; this script says
// what a form's content is and how it is shown.
//
// - Signed out (401, a guest session that ran out), or a page from an earlier session (403):
//   once the author has signed in again through the link from the mail (in any tab), the copy
//   kept here is sent.
// - A 409 never overwrites: the differences are shown side by side, a choice by its label as
//   the form shows it; "keep mine" sends this device's version on top of the other one's
//   revision, "take theirs" puts it in the fields.
// Without this script the Save and Submit buttons post the whole form (feedback.save).
(function () {
  "use strict";

  var LESSON = ["lesson_date", "class_name", "subject"];

  // -- the form's content -------------------------------------------------------------------

  function field(form, name) {
    var el = form.elements.namedItem(name);
    return el && el.value !== undefined ? el.value : "";
  }

  function collect(form) {
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
      lesson_date: field(form, "lesson_date"),
      class_name: field(form, "class_name"),
      subject: field(form, "subject")
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


  function apply(form, content) {
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
    LESSON.forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (el && typeof content[name] === "string") {
        el.value = content[name];
      }
    });
  }

  // -- two versions ---------------------------------------------------------------------------

  function describe(form, key, value, empty) {
    if (
      value === undefined ||
      value === null ||
      value === "" ||
      (Array.isArray(value) && !value.length)
    ) {
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

  function labelOf(form, key) {
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

  function differences(form, mine, theirs, empty) {
    var rows = [];
    var keys = {};
    Object.keys(mine.answers).concat(Object.keys(theirs.answers || {})).forEach(function (k) {
      keys[k] = true;
    });
    Object.keys(keys).forEach(function (k) {
      var a = mine.answers[k];
      var b = (theirs.answers || {})[k];
      if (JSON.stringify(a === undefined ? null : a) !== JSON.stringify(b === undefined ? null : b)) {
        rows.push([labelOf(form, k), describe(form, k, a, empty), describe(form, k, b, empty)]);
      }
    });
    LESSON.forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (el && (mine[name] || "") !== (theirs[name] || "")) {
        var label = form.querySelector("label[for='" + name + "']");
        rows.push([label ? label.textContent.trim() : name, mine[name] || "", theirs[name] || ""]);
      }
    });
    return rows;
  }

  window.DriehoekAutosave.start({
    prefix: "driehoek.feedback.",
    form: "fill-form",
    done: "form-done",
    idAttribute: "data-form-id",
    collect: collect,
    apply: apply,
    canon: canon,
    fields: ["answers", "lesson_date", "class_name", "subject"],
    differences: differences
  });
})();
