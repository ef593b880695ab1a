// Inside an LMS iframe, tell the platform how tall the page is (LTI "lti.frameResize"), so
// the learner gets no second scroll bar: on load and whenever the page's height changes.
(function () {
  "use strict";
  if (window.parent === window) {
    return; // not framed: nobody to tell
  }
  var last = 0;
  function tell() {
    var height = Math.ceil(document.documentElement.scrollHeight);
    if (height === last) {
      return;
    }
    last = height;
    // The platform's origin is not known here; the message carries only a height.
    window.parent.postMessage({ subject: "lti.frameResize", height: height }, "*");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", tell);
  } else {
    tell();
  }
  window.addEventListener("load", tell);
  if (typeof ResizeObserver === "function") {
    var observer = new ResizeObserver(tell);
    observer.observe(document.documentElement);
    if (document.body) {
      observer.observe(document.body);
    }
  } else {
    window.addEventListener("resize", tell);
  }
})();
