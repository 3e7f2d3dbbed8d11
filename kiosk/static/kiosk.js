// Kiosk behaviour: idle reset, on-screen keyboard, signature pad, ticket screen timeout.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.dataset.idleSeconds || "60", 10);
  var home = body.dataset.home || "/kiosk";

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

  // --- Idle: after a quiet spell, forget what was typed and go back to the welcome screen.
  var idleTimer = null;
  function currentScreen() {
    var el = document.querySelector("#screen [data-screen]");
    return el ? el.dataset.screen : "welcome";
  }
  function resetIdle() {
    clearTimeout(idleTimer);
    var seconds = idleSeconds;
    var ticket = document.querySelector("#screen [data-return-after]");
    if (ticket) seconds = Math.min(seconds, parseInt(ticket.dataset.returnAfter, 10));
    idleTimer = setTimeout(function () {
      if (currentScreen() !== "welcome" || window.location.search) goHome();
    }, seconds * 1000);
  }
  // Reloading while the server is away would leave the browser's error page on the kiosk for good: the
  // welcome page is loaded once the server answers. Until then the visitor's data leaves the screen.
  function goHome() {
    fetch(home, { method: "HEAD", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        window.location.replace(home);
      })
      .catch(function () {
        hideKeyboard();
        document.getElementById("screen").innerHTML = "";
        document.querySelector("[data-connection-error]").hidden = false;
        idleTimer = setTimeout(goHome, 5000);
      });
  }
  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, resetIdle, { passive: true, capture: true });
  });
  resetIdle();

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
        if (button === "{done}") hideKeyboard();
        if (button === "{shift}") {
          keyboard.setOptions({ layoutName: keyboard.options.layoutName === "shift" ? "default" : "shift" });
        }
      },
    });
  }

  function showKeyboard(input) {
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

  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target.matches && target.matches("input[data-keyboard]")) showKeyboard(target);
  });
  document.addEventListener("pointerdown", function (event) {
    if (!activeInput) return;
    if (keyboardPanel.contains(event.target) || event.target.matches("input[data-keyboard]")) return;
    hideKeyboard();
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

  function setup(root) {
    hideKeyboard();
    setupSignature(root);
    setupQr(root);
    resetIdle();
  }
  // A dropped network or a restarting server must not look like a frozen kiosk: say so, keep what was typed.
  // Trying again is safe: the same consent gives the same ticket.
  window.htmx.config.timeout = 20000;
  var connectionError = document.querySelector("[data-connection-error]");
  function changesScreen(event) {
    return event.detail.target && event.detail.target.id === "screen";
  }
  ["htmx:sendError", "htmx:responseError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (changesScreen(event)) connectionError.hidden = false;
    });
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (changesScreen(event)) connectionError.hidden = true;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (changesScreen(event)) {
      document.getElementById("screen").scrollTop = 0;
      setup(event.detail.target);
      var error = event.detail.target.querySelector("[aria-invalid=true], .error");
      if (error) error.scrollIntoView({ block: "center" });
    }
  });
})();
