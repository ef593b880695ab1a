// The deep-linking response lands in the tool's frame: reload the sandbox course page around it.
document.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("return").dataset.target;
  window.top.location.href = target;
});
