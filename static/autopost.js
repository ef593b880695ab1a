// Submits the form of a redirect page (OIDC and deep-linking messages are form posts).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("autopost");
  if (form) { form.submit(); }
});
