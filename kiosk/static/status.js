// Visitor status page: a sound and a vibration when the ticket is called, and the control that turns them on.
(function () {
  "use strict";
  var PATTERN = [400, 150, 400, 150, 400];
  var audio = null; // made on the visitor's tap: browsers play no sound before one
  // "on" once the visitor turns the sound on, "off" once they turn it off again. Before either, a call still tries
  // to vibrate, as browsers allow after any tap on the page.
  var sound = "unset";
  var opened = false; // the state the page opens with is not a new call
  var lastCall = null; // "called Meja 2" while called, else null

  function beep() {
    if (!audio || sound !== "on") return;
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

  function vibrate(pattern) {
    if (navigator.vibrate) navigator.vibrate(pattern);
  }

  // The control shows whether the sound is on, and goes away while no call can come (served, finished, absent).
  function showControl(article) {
    var control = document.querySelector("[data-sound]");
    control.hidden = article.dataset.mayBeCalled !== "yes";
    control.querySelector("[data-enable-sound]").hidden = sound === "on";
    control.querySelector("[data-sound-active]").hidden = sound !== "on";
  }

  function check() {
    var article = document.querySelector("#status [data-status]");
    if (!article) return;
    // A transfer calls the visitor again at another desk: that rings too, as the TV announces it.
    var call = article.dataset.status === "called" ? "called " + article.dataset.desk : null;
    if (call && opened && call !== lastCall && sound !== "off") {
      beep();
      vibrate(PATTERN);
    }
    lastCall = call;
    opened = true;
    showControl(article);
  }

  function turnOn() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio) audio.resume();
    sound = "on";
    beep();
    vibrate(100);
    check();
    document.querySelector("[data-sound-state]").focus();
  }

  function turnOff() {
    sound = "off";
    if (audio) audio.suspend();
    vibrate(0);
    check();
    document.querySelector("[data-enable-sound]").focus();
  }

  function test() {
    beep();
    vibrate(200);
  }

  document.addEventListener("DOMContentLoaded", function () {
    check();
    document.querySelector("[data-enable-sound]").addEventListener("click", turnOn);
    document.querySelector("[data-disable-sound]").addEventListener("click", turnOff);
    document.querySelector("[data-test-sound]").addEventListener("click", test);
  });
  document.addEventListener("htmx:sseMessage", check);
  document.addEventListener("htmx:afterSettle", check);
  function connected(yes) {
    document.querySelector("[data-online]").hidden = !yes;
    document.querySelector("[data-offline]").hidden = yes;
  }
  document.addEventListener("htmx:sseError", function () { connected(false); });
  document.addEventListener("htmx:sseOpen", function () { connected(true); });
})();
