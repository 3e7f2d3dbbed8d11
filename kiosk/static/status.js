// Visitor status page: a sound and a vibration when the ticket is called.
(function () {
  "use strict";
  var audio = null;
  var lastStatus = null;

  function beep() {
    if (!audio) return;
    [0, 0.35].forEach(function (offset) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.3, audio.currentTime + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + offset + 0.3);
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + offset);
      osc.stop(audio.currentTime + offset + 0.3);
    });
  }

  function check() {
    var article = document.querySelector("#status [data-status]");
    if (!article) return;
    var status = article.dataset.status;
    if (status === "called" && lastStatus !== null && lastStatus !== "called") {
      beep();
      if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
    }
    lastStatus = status;
  }

  document.addEventListener("DOMContentLoaded", function () {
    check();
    var button = document.querySelector("[data-enable-sound]");
    button.addEventListener("click", function () {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (Context) { audio = new Context(); beep(); }
      if (navigator.vibrate) navigator.vibrate(100);
      button.hidden = true;
    });
  });
  document.addEventListener("htmx:sseMessage", check);
  document.addEventListener("htmx:afterSettle", check);
  document.addEventListener("htmx:sseError", function () {
    document.querySelector("[data-live]").classList.add("offline");
  });
  document.addEventListener("htmx:sseOpen", function () {
    document.querySelector("[data-live]").classList.remove("offline");
  });
})();
