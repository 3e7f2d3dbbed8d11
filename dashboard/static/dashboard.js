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

  // A refusal (409, 400, 413) comes with its message retargeted to the notice area: htmx 2 leaves error
  // answers unswapped, so the officer would see nothing happen.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
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

  // The consultation workspace. The open step's clock ticks here between the server's figures, turning amber at
  // 80 % of the standard time and red past it.
  function tick() {
    document.querySelectorAll("[data-running]").forEach(function (clock) {
      clock.shownAt = clock.shownAt || Date.now();  // each clock counts on from the figure it was drawn with
      var seconds = Number(clock.getAttribute("data-seconds")) + Math.floor((Date.now() - clock.shownAt) / 1000);
      var limit = Number(clock.getAttribute("data-limit"));
      clock.querySelector("[data-clock]").textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
      var step = clock.closest(".step");
      step.classList.toggle("amber", seconds >= limit * 0.8 && seconds <= limit);
      step.classList.toggle("red", seconds > limit);
      step.classList.toggle("ok", seconds < limit * 0.8);
    });
  }
  setInterval(tick, 1000);

  // Autosave keeps a copy of what was typed in this browser until the server has it, so a reload, a dropped
  // connection or a restarted server loses nothing: the copy is put back and saved when the page opens again.
  function draftKey(form) { return "helpdesk-problem-" + form.getAttribute("data-problem"); }
  function fields(form) {
    return {
      version: form.querySelector("[data-version]").value,
      description: form.elements.description.value,
      answer: form.elements.answer.value,
    };
  }
  function restore(form) {
    var saved = localStorage.getItem(draftKey(form));
    if (!saved) return;
    var draft = JSON.parse(saved), now = fields(form);
    if (draft.version !== now.version) { localStorage.removeItem(draftKey(form)); return; }  // saved elsewhere since
    if (draft.description === now.description && draft.answer === now.answer) { localStorage.removeItem(draftKey(form)); return; }
    form.elements.description.value = draft.description;
    form.elements.answer.value = draft.answer;
    htmx.trigger(form, "change");
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-problem]");
    if (!form) return;
    localStorage.setItem(draftKey(form), JSON.stringify(fields(form)));
    form.querySelector(".save-state").textContent = form.getAttribute("data-saving") || "…";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("form[data-problem]");
    if (!form || event.detail.elt !== form) return;
    if (!event.detail.successful) {  // no answer: keep the copy and try again shortly
      form.querySelector(".save-state").textContent = form.getAttribute("data-unsaved") || "!";
      setTimeout(function () { htmx.trigger(form, "change"); }, 3000);
      return;
    }
    if (form.querySelector("[data-saved]")) {
      var saved = localStorage.getItem(draftKey(form)), now = fields(form);
      var draft = saved && JSON.parse(saved);
      if (!draft) return;
      if (draft.description === now.description && draft.answer === now.answer) localStorage.removeItem(draftKey(form));
      else localStorage.setItem(draftKey(form), JSON.stringify(now));  // typed on meanwhile: keep it, on the new version
    }
  });
  htmx.onLoad(function (element) {
    var forms = element.matches && element.matches("form[data-problem]") ? [element] : element.querySelectorAll("form[data-problem]");
    forms.forEach(restore);
  });

  // A knowledge-base answer copied into the problem's answer, after what is there; autosave takes it from there.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-answer]");
    if (!button) return;
    var article = document.getElementById(button.getAttribute("data-copy-answer"));
    var answer = article && article.querySelector("textarea[name=answer]");
    if (!answer) return;
    var text = button.closest("li").querySelector("[data-faq-answer]").textContent.trim();
    answer.value = answer.value.trim() ? answer.value.trim() + "\n\n" + text : text;
    answer.dispatchEvent(new Event("input", { bubbles: true }));
    answer.focus();
  });

  // The webcam, where the browser offers it (a secure context): a frame becomes the form's photo and is sent.
  var stream = null;
  function stopCamera(panel) {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    if (panel) panel.hidden = true;
  }
  function offerCamera(root) {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    root.querySelectorAll("[data-webcam]").forEach(function (button) { button.hidden = false; });
  }
  htmx.onLoad(function (element) { offerCamera(element.querySelectorAll ? element : document); });
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) return;
    var form = target.closest("form.add-photo");
    if (!form) return;
    var panel = form.querySelector("[data-webcam-panel]");
    if (target.closest("[data-webcam]")) {
      navigator.mediaDevices.getUserMedia({ video: true }).then(function (media) {
        stream = media;
        panel.querySelector("video").srcObject = media;
        panel.hidden = false;
      });
    } else if (target.closest("[data-webcam-close]")) {
      stopCamera(panel);
    } else if (target.closest("[data-webcam-shoot]")) {
      var video = panel.querySelector("video"), canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob(function (blob) {
        var files = new DataTransfer();
        files.items.add(new File([blob], "kamera.jpg", { type: "image/jpeg" }));
        form.querySelector("input[type=file]").files = files.files;
        stopCamera(panel);
        htmx.trigger(form, "submit");
      }, "image/jpeg", 0.9);
    }
  });

  // The visitor's signature for the report, drawn on the officer's screen or tablet with the kiosk's pad.
  htmx.onLoad(function (element) {
    var root = element.querySelectorAll ? element : document;
    root.querySelectorAll("form.sign-receipt canvas[data-signature]").forEach(function (canvas) {
      if (!window.SignaturePad || canvas.pad) return;
      var form = canvas.closest("form"), hidden = form.querySelector("input[name=signature]");
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      canvas.pad = new window.SignaturePad(canvas, { minWidth: 1.5, maxWidth: 4, penColor: "#000" });
      canvas.pad.addEventListener("endStroke", function () { hidden.value = canvas.pad.toDataURL("image/png"); });
      form.querySelector("[data-signature-clear]").addEventListener("click", function () {
        canvas.pad.clear();
        hidden.value = "";
      });
    });
  });
})();
