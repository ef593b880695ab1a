// Inside an LMS iframe, check that this browser keeps our (partitioned) cookie before the
// sign-in starts; if it does not, offer to continue in a new window.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("cookie-check");
  var secure = box.dataset.secure === "true";
  var attrs = secure ? "; SameSite=None; Secure; Partitioned" : "; SameSite=Lax";
  document.cookie = "driehoek_cookie_check=1; path=/; max-age=60" + attrs;
  var kept = document.cookie.indexOf("driehoek_cookie_check=1") !== -1;
  if (kept) {
    document.cookie = "driehoek_cookie_check=; path=/; max-age=0" + attrs;
    document.getElementById("continue-here").submit();
  } else {
    document.getElementById("checking").hidden = true;
    document.getElementById("blocked").hidden = false;
  }
});
