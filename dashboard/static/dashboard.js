// Dashboard behaviour: keep the scan box ready for a USB scanner, show when live updates pause.
(function () {
  "use strict";
  function scanBox() { return document.getElementById("scan"); }

  // A barcode scanner types into whatever has focus: bring it back to the scan box when idle.
  document.addEventListener("htmx:afterRequest", function () {
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
