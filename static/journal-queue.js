// The grading queue by keyboard: j goes to the next hand-in, k to the previous one — the same
// links (rel=next / rel=prev) that work without this script. Keys typed into a field, or with
// a modifier, are left alone, so a comment can hold a j or a k.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName))) {
      return;
    }
    var key = (event.key || "").toLowerCase();
    if (key !== "j" && key !== "k") {
      return;
    }
    var link = document.querySelector('.queue-nav a[data-key="' + key + '"]');
    if (link && link.href) {
      event.preventDefault();
      window.location.assign(link.href);
    }
  });
})();
