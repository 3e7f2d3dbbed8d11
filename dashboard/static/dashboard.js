// Dashboard behaviour: keep the scan box ready for a USB scanner, show when live updates pause.
(function () {
  "use strict";
  function scanBox() { return document.getElementById("scan"); }

  // A barcode scanner types into whatever has focus: bring it back to the scan box when idle, emptied once
  // its code has been sent so the next scan starts afresh.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.matches && form.matches("form[data-reset-after-request]")) form.reset();
    var active = document.activeElement;
    if (scanBox() && (!active || active === document.body || active.tagName === "BUTTON")) scanBox().focus();
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (scanBox()) scanBox().focus();
  });
  document.addEventListener("htmx:sseError", function () {
    var live = document.querySelector("[data-live]");
    if (live) live.classList.add("offline");
  });
  document.addEventListener("htmx:sseOpen", function () {
    var live = document.querySelector("[data-live]");
    if (live) live.classList.remove("offline");
  });
})();
