// A form that came back with problems: move the focus to the summary at the top, so a screen
// reader reads it and a keyboard starts there; a link in it moves the focus to what it names
// (the field itself, or the section to read again), not only the scroll position.
(function () {
  "use strict";
  function start() {
    var summary = document.getElementById("problems");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
      var target = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
      if (!target) {
        return;
      }
      event.preventDefault();
      if (!target.matches("input, select, textarea, button, a[href], [tabindex]")) {
        target.setAttribute("tabindex", "-1");
      }
      var label = target.id ? document.querySelector("label[for='" + target.id + "']") : null;
      (label || target).scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
