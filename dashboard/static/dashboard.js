// Dashboard behaviour: keep the scan box ready for a USB scanner, show whether live updates arrive, ask before
// a step that is hard to take back, and close a scanned ticket's card.
(function () {
  "use strict";
  function scanBox() { return document.getElementById("scan"); }
  function scannedCard() { return document.getElementById("scan-result"); }

  function closeScanned() {
    var card = scannedCard();
    if (card) card.replaceChildren();
    if (scanBox()) scanBox().focus();
  }

  // A barcode scanner types into whatever has focus: bring it back to the scan box when idle, emptied once
  // its code has been sent so the next scan starts afresh. A step taken on a scanned ticket ends its card.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.matches && elt.matches("form[data-reset-after-request]")) elt.reset();
    if (event.detail.successful && elt.closest && elt.closest("[data-scanned]")) closeScanned();
    var active = document.activeElement;
    if (scanBox() && (!active || active === document.body || active.tagName === "BUTTON")) scanBox().focus();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-close-scanned]")) closeScanned();
  });

  // The live stream's state, shown in the header: connecting, connected, or cut off (the screen is going stale).
  function showLive(state) {
    var live = document.querySelector("[data-live]");
    if (!live || live.getAttribute("data-live") === state) return;
    live.setAttribute("data-live", state);
    live.querySelectorAll("[data-live-text]").forEach(function (text) {
      text.hidden = text.getAttribute("data-live-text") !== state;
    });
  }
  document.addEventListener("htmx:sseOpen", function () { showLive("live"); });
  document.addEventListener("htmx:sseError", function () { showLive("offline"); });

  // hx-confirm asks in the page's own dialog rather than the browser's window.confirm: it names the ticket,
  // says what follows, and its safe choice ("Batal") has the focus.
  var confirmRequest = null;
  document.addEventListener("htmx:confirm", function (event) {
    var dialog = document.getElementById("confirm");
    if (!event.detail.question || !dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    var asking = event.detail.elt;
    var title = dialog.querySelector("#confirm-title"), yes = dialog.querySelector("[data-confirm-yes]");
    // The page's own words are kept for a question that brings no title or answer of its own.
    title.dataset.plain = title.dataset.plain || title.textContent;
    yes.dataset.plain = yes.dataset.plain || yes.textContent;
    title.textContent = asking.getAttribute("data-confirm-title") || title.dataset.plain;
    yes.textContent = asking.getAttribute("data-confirm-yes") || yes.dataset.plain;
    dialog.querySelector("#confirm-text").textContent = event.detail.question;
    confirmRequest = event.detail.issueRequest;
    dialog.returnValue = "";
    dialog.showModal();
  });
  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.getElementById("confirm");
    if (dialog) {
      dialog.addEventListener("close", function () {
        var request = confirmRequest;
        confirmRequest = null;
        if (request && dialog.returnValue === "confirm") request(true);
      });
    }
    if (scanBox()) scanBox().focus();
  });
})();
