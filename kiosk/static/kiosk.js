// Kiosk behaviour: idle question and reset, on-screen keyboard, signature pad, messages, ticket screen timeout.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.dataset.idleSeconds || "60", 10);
  var home = body.dataset.home || "/kiosk";
  var READING = 3; // the notice and the review take longer to read than a field takes to fill
  var QUESTION_SECONDS = 15; // how long "Still there?" waits for a touch, at most

  // Swap validation errors (422) and the form refusing an oversized post (413) into the page like successes;
  // other errors stay out of the screen.
  document.addEventListener("DOMContentLoaded", function () {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "413", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
    setup(document);
  });

  // --- A touch that closes something must not reach what lies under it. Chromium sends a tap's click after the
  // finger lifts, to whatever is under the finger then: once the keyboard or the idle question has gone, that is a
  // control the visitor never meant to touch (the priority answer, "Batal"). The shield takes that click. It stays
  // until the finger is up and the click has passed, and never longer than a few seconds.
  var shield = document.querySelector("[data-tap-shield]");
  var shieldTimer = null;
  var awaitingRelease = false;
  function raiseShield() {
    clearTimeout(shieldTimer);
    shield.hidden = false;
    awaitingRelease = true;
    shieldTimer = setTimeout(lowerShield, 4000);
  }
  function lowerShield() {
    clearTimeout(shieldTimer);
    awaitingRelease = false;
    shield.hidden = true;
  }
  ["pointerup", "pointercancel"].forEach(function (name) {
    document.addEventListener(
      name,
      function () {
        if (!awaitingRelease) return;
        awaitingRelease = false;
        clearTimeout(shieldTimer);
        shieldTimer = setTimeout(lowerShield, 500); // the click follows the release within a few milliseconds
      },
      true
    );
  });
  shield.addEventListener("click", function (event) {
    event.preventDefault();
    event.stopPropagation();
    lowerShield();
  });

  // --- Idle: ask "Still there?" after a quiet spell; without an answer, forget everything and go back to the start.
  var idleTimer = null;
  var countdownTimer = null;
  var retryTimer = null;
  function currentStep() {
    return document.querySelector("#screen [data-screen]");
  }
  function idleWarning() {
    return document.querySelector("[data-idle-warning]");
  }
  function resetIdle() {
    clearTimeout(idleTimer);
    clearInterval(countdownTimer);
    idleWarning().hidden = true;
    var step = currentStep();
    if (!step) return; // the screen was emptied while the server was away: goHome keeps trying
    if (step.dataset.screen === "welcome") {
      // Nothing to lose here; only a language chosen by the last visitor is put back (the home page is Indonesian).
      if (window.location.search || document.documentElement.lang !== "id") {
        idleTimer = setTimeout(goHome, idleSeconds * 1000);
      }
      return;
    }
    if (step.dataset.returnAfter) {
      // The ticket has been issued: the screen simply makes way for the next visitor.
      idleTimer = setTimeout(goHome, Math.min(idleSeconds, parseInt(step.dataset.returnAfter, 10)) * 1000);
      return;
    }
    // The whole quiet time stays as set; its last part is the question.
    var total = idleSeconds * (step.hasAttribute("data-reading") ? READING : 1);
    var asking = Math.max(1, Math.min(QUESTION_SECONDS, Math.floor(total / 2)));
    idleTimer = setTimeout(function () {
      askStillThere(asking);
    }, (total - asking) * 1000);
  }
  function askStillThere(seconds) {
    var warning = idleWarning();
    var count = warning.querySelector("[data-idle-count]");
    var ends = Date.now() + seconds * 1000;
    count.textContent = String(seconds);
    warning.hidden = false;
    warning.querySelector("button").focus({ preventScroll: true });
    countdownTimer = setInterval(function () {
      var left = Math.ceil((ends - Date.now()) / 1000);
      if (left > 0) {
        count.textContent = String(left);
        return;
      }
      clearInterval(countdownTimer);
      goHome();
    }, 250);
  }
  // Reloading while the server is away would leave the browser's error page on the kiosk for good: the
  // welcome page is loaded once the server answers. Until then the visitor's data leaves the screen.
  function goHome() {
    clearTimeout(retryTimer);
    fetch(home, { method: "HEAD", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        window.location.replace(home);
      })
      .catch(function () {
        hideKeyboard();
        idleWarning().hidden = true;
        document.getElementById("screen").innerHTML = "";
        document.querySelector("[data-connection-error]").hidden = false;
        retryTimer = setTimeout(goHome, 5000);
      });
  }
  document.addEventListener(
    "pointerdown",
    function () {
      // The touch that answers the question lands on the shield, not on the form under the question.
      if (!idleWarning().hidden) raiseShield();
      resetIdle();
    },
    { passive: true, capture: true }
  );
  ["keydown", "input"].forEach(function (name) {
    document.addEventListener(name, resetIdle, { passive: true, capture: true });
  });

  // --- On-screen keyboard: letters for names, a keypad for phone numbers.
  var keyboard = null;
  var activeInput = null;
  var letters = ["q w e r t y u i o p {bksp}", "a s d f g h j k l '", "{shift} z x c v b n m , . -", "{space} {done}"];
  var layouts = {
    text: { default: letters, shift: letters.map(function (row) { return row.replace(/(^| )([a-z])(?= |$)/g, function (key) { return key.toUpperCase(); }); }) },
    phone: { default: ["1 2 3", "4 5 6", "7 8 9", "+ 0 {bksp}", "{done}"] },
  };

  // Names are written "Maria Lodia Nenobais": a capital at the start of each word, small letters after it,
  // as a phone keyboard does. Shift changes the next letter only.
  function lettersFor(value) {
    return value === "" || /[\s'.-]$/.test(value) ? "shift" : "default";
  }
  var keyboardPanel = document.getElementById("keyboard");

  function makeKeyboard() {
    var Keyboard = window.SimpleKeyboard && (window.SimpleKeyboard.default || window.SimpleKeyboard);
    if (!Keyboard) return null;
    return new Keyboard(".simple-keyboard", {
      layout: layouts.text,
      display: { "{bksp}": "\u232B", "{shift}": "\u21E7", "{space}": "spasi / space", "{done}": "\u2714 OK" },
      buttonTheme: [{ class: "key-done", buttons: "{done}" }, { class: "key-shift", buttons: "{shift}" }],
      preventMouseDownDefault: true,
      stopMouseDownPropagation: true,
      onChange: function (value) {
        if (!activeInput) return;
        activeInput.value = value.slice(0, activeInput.maxLength > 0 ? activeInput.maxLength : value.length);
        activeInput.dispatchEvent(new Event("input", { bubbles: true }));
        if (activeInput.dataset.keyboard !== "phone") keyboard.setOptions({ layoutName: lettersFor(activeInput.value) });
      },
      onKeyPress: function (button) {
        // Keys act as the finger comes down; OK closes the keyboard then, and the shield takes the rest of the tap.
        if (button === "{done}") {
          raiseShield();
          hideKeyboard();
        }
        if (button === "{shift}") {
          keyboard.setOptions({ layoutName: keyboard.options.layoutName === "shift" ? "default" : "shift" });
        }
      },
    });
  }

  function showKeyboard(input) {
    if (input === activeInput && !keyboardPanel.hidden) return;
    keyboard = keyboard || makeKeyboard();
    if (!keyboard) return;
    if (activeInput) activeInput.classList.remove("active");
    activeInput = input;
    input.classList.add("active");
    var kind = input.dataset.keyboard === "phone" ? "phone" : "text";
    keyboard.setOptions({
      layout: layouts[kind],
      layoutName: kind === "phone" ? "default" : lettersFor(input.value),
      theme: "hg-theme-default" + (kind === "phone" ? " keypad" : ""),
    });
    keyboard.setInput(input.value);
    keyboardPanel.querySelector(".keyboard-target").textContent =
      (input.closest("label") && input.closest("label").querySelector(".label") || {}).textContent || "";
    keyboardPanel.hidden = false;
    body.classList.add("typing");
    input.scrollIntoView({ block: "center" });
  }

  function hideKeyboard() {
    if (activeInput) activeInput.classList.remove("active");
    activeInput = null;
    keyboardPanel.hidden = true;
    body.classList.remove("typing");
  }

  // The keyboard opens when the visitor touches a field (or reaches it with the Tab key), never because a script
  // moved the focus there.
  var tabbing = false;
  document.addEventListener("keydown", function (event) { tabbing = event.key === "Tab"; }, true);
  document.addEventListener("pointerdown", function () { tabbing = false; }, true);
  document.addEventListener("focusin", function (event) {
    if (tabbing && event.target.matches && event.target.matches("input[data-keyboard]")) showKeyboard(event.target);
  });
  // A touch elsewhere closes the keyboard once its click has landed where the finger was: closing it earlier
  // would move the form under the finger (its room for the keyboard goes) and the click with it.
  document.addEventListener(
    "click",
    function (event) {
      var target = event.target;
      if (target.matches && target.matches("input[data-keyboard]")) {
        showKeyboard(target);
        return;
      }
      if (activeInput && !keyboardPanel.contains(target)) hideKeyboard();
    },
    true
  );

  // --- A field's message goes as soon as the visitor changes that field; the next submit checks everything again.
  function forgetError(name) {
    var message = document.getElementById(name + "-error");
    if (message) message.remove();
    var input = document.getElementById(name);
    if (input && input.getAttribute("aria-describedby") === name + "-error") {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  }
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var field = event.target;
      if (!field.name || !field.form) return;
      forgetError(field.name);
      if (field.name === "visitor_type" && field.value !== "party") forgetError("party_id");
    });
  });

  // --- Signature pad: kept in a hidden field as a PNG data URL.
  var pads = [];
  function setupSignature(root) {
    root.querySelectorAll("canvas[data-signature]").forEach(function (canvas) {
      var field = canvas.closest(".signature-field");
      var hidden = field.querySelector("input[name=signature]");
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      var pad = new window.SignaturePad(canvas, { minWidth: 1.5, maxWidth: 4, penColor: "#000" });
      var echoed = hidden.value;
      // The form comes back with what was signed. One the server refused, or one the browser cannot draw,
      // is cleared without a fuss: its message is on the screen and the visitor simply signs again.
      function forgetEchoed() {
        if (hidden.value !== echoed) return; // the visitor has already signed again
        pad.clear();
        hidden.value = "";
      }
      var form = canvas.closest("form");
      if (echoed && form && form.querySelector("#signature-error")) {
        forgetEchoed();
      } else if (echoed) {
        pad.fromDataURL(echoed, { ratio: ratio, width: canvas.offsetWidth, height: canvas.offsetHeight }).catch(forgetEchoed);
      }
      pad.addEventListener("endStroke", function () {
        hidden.value = pad.toDataURL("image/png");
        forgetError("signature");
        hideKeyboard();
        resetIdle();
      });
      field.querySelector("[data-signature-clear]").addEventListener("click", function () {
        pad.clear();
        hidden.value = "";
      });
      pads.push(pad);
    });
  }

  // --- The ticket's QR code, drawn here so the server only draws the printed one.
  function setupQr(root) {
    root.querySelectorAll("[data-qr]").forEach(function (el) {
      var code = window.qrcode(0, "M");
      code.addData(el.dataset.qr);
      code.make();
      el.innerHTML = code.createSvgTag({ cellSize: 4, margin: 8, scalable: true });
    });
  }

  // The header, the messages around the screen and every later request follow the language of the step shown.
  function followLanguage() {
    var lang = document.getElementById("bar").dataset.lang;
    document.documentElement.lang = lang;
    body.setAttribute("hx-vals", JSON.stringify({ lang: lang }));
  }

  function setup(root) {
    hideKeyboard();
    setupSignature(root);
    setupQr(root);
    resetIdle();
  }
  // A dropped network or a restarting server must not look like a frozen kiosk: say so, keep what was typed.
  // Trying again is safe: the same consent gives the same ticket.
  window.htmx.config.timeout = 20000;
  function connectionError() {
    return document.querySelector("[data-connection-error]");
  }
  function changesScreen(event) {
    return event.detail.target && event.detail.target.id === "screen";
  }
  ["htmx:sendError", "htmx:responseError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (changesScreen(event)) connectionError().hidden = false;
    });
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (changesScreen(event)) connectionError().hidden = true;
  });

  var keptScroll = 0;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (changesScreen(event)) keptScroll = document.getElementById("screen").scrollTop;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!changesScreen(event)) return;
    var screen = document.getElementById("screen");
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    // Another language keeps the visitor's place; any other step starts at its top.
    screen.scrollTop = elt && elt.hasAttribute && elt.hasAttribute("data-language-switch") ? keptScroll : 0;
    followLanguage();
    setup(event.detail.target);
    var status = event.detail.xhr && event.detail.xhr.status;
    if (status === 422 || status === 413) {
      // Refused: the first message comes into sight and takes the focus (a message, not a field: the keyboard
      // stays closed until the visitor touches the field).
      var mistake = event.detail.target.querySelector(".error[tabindex]");
      if (mistake) {
        mistake.scrollIntoView({ block: "center" });
        mistake.focus({ preventScroll: true });
      }
    }
  });
})();
