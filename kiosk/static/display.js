// Waiting-room TV: the live clock, the reconnect notice, and a chime plus Indonesian speech for every call.
(function () {
  "use strict";
  var CHIME_HZ = [659.25, 523.25, 392.0]; // E5, C5, G4: a falling "ding-dong-dong" that cuts through chatter
  var NOTE_GAP = 0.4;
  var NOTE_LENGTH = 1.0;
  var SPEECH_LIMIT_MS = 20000;
  var FLASH_MS = 3000; // display.css: six 0.5 s blinks

  var soundOn = false; // browsers refuse to play sound before the first touch
  var audio = null;
  var queue = [];
  var playing = false;
  var flashing = []; // calls whose desk card is flashing, or waits for the board that shows it

  function wait(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  // The TV box often has no time server on the office LAN, so its clock is corrected to the server's.
  function startClock() {
    var box = document.querySelector("[data-server-ms]");
    var clock = box.querySelector("[data-clock]");
    var date = box.querySelector("[data-date]");
    var offset = Number(box.dataset.serverMs) - Date.now();
    var suffix = clock.textContent.trim().split(" ").slice(1).join(" ");
    var zone = box.dataset.zone;
    var locale = document.documentElement.lang === "en" ? "en-GB" : "id-ID";
    var time = new Intl.DateTimeFormat("id-ID", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    var day = new Intl.DateTimeFormat(locale, {
      timeZone: zone, weekday: "long", day: "numeric", month: "long", year: "numeric",
    });
    window.setInterval(function () {
      var moment = new Date(Date.now() + offset);
      var parts = named(time, moment);
      // Indonesian writes 14.05; some ICU builds give 14:05, so the separator is not left to them.
      clock.textContent = parts.hour + "." + parts.minute + " " + suffix;
      // As the server writes it in both languages (shared/dates.py): "Sabtu, 28 November 2026".
      var days = named(day, moment);
      date.textContent = days.weekday + ", " + days.day + " " + days.month + " " + days.year;
    }, 1000);
  }

  function named(format, moment) {
    var parts = {};
    format.formatToParts(moment).forEach(function (part) { parts[part.type] = part.value; });
    return parts;
  }

  function chime() {
    if (!audio) return Promise.resolve();
    var start = audio.currentTime + 0.05;
    CHIME_HZ.forEach(function (frequency, index) {
      var at = start + index * NOTE_GAP;
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.5, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + NOTE_LENGTH);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + NOTE_LENGTH);
    });
    return wait(((CHIME_HZ.length - 1) * NOTE_GAP + NOTE_LENGTH) * 1000);
  }

  function indonesianVoice() {
    return window.speechSynthesis.getVoices().filter(function (voice) { return /^id([-_]|$)/i.test(voice.lang); })[0];
  }

  // "A-007" is spelled "A, 0, 0, 7" so the voice reads digits, not "seven" or "A minus seven".
  function sentence(call) {
    var characters = call.number.replace(/[^0-9A-Za-z]/g, "").split("").join(", ");
    var text = "Nomor antrean " + characters + ", silakan menuju " + call.desk;
    return call.recall ? "Panggilan ulang. " + text : text;
  }

  function speak(call) {
    var voice = window.speechSynthesis && indonesianVoice();
    if (!voice) return Promise.resolve(); // an English voice would garble Indonesian: the chime alone is clearer
    return new Promise(function (resolve) {
      var utterance = new SpeechSynthesisUtterance(sentence(call));
      utterance.voice = voice;
      utterance.lang = "id-ID";
      utterance.rate = 0.9;
      // Chromium sometimes never fires "end"; one lost event must not silence every later call.
      var timer = window.setTimeout(resolve, SPEECH_LIMIT_MS);
      utterance.onend = utterance.onerror = function () { window.clearTimeout(timer); resolve(); };
      window.speechSynthesis.speak(utterance);
    });
  }

  function playNext() {
    var call = queue.shift();
    if (!call) {
      playing = false;
      return;
    }
    playing = true;
    chime()
      .then(function () { return speak(call); })
      // Thrown again outside the chain so it is reported, while the calls after it are still announced.
      .catch(function (error) { window.setTimeout(function () { throw error; }); })
      .then(playNext);
  }

  // A card flashes for FLASH_MS after its call. A board frame that arrives meanwhile (another desk's call, a
  // printed ticket) replaces the card, so the flash is put back on the new card where it left off.
  function flash(entry, card) {
    if (entry.started === null) entry.started = Date.now();
    card.classList.remove("flash");
    void card.offsetWidth; // restart the animation when the same desk is called again
    card.style.animationDelay = -(Date.now() - entry.started) + "ms";
    card.classList.add("flash");
  }

  function cardShowing(call) {
    return Array.prototype.find.call(document.querySelectorAll("[data-desk]"), function (card) {
      return card.dataset.desk === call.desk && card.querySelector(".number").textContent.trim() === call.number;
    });
  }

  function showFlashes() {
    var now = Date.now();
    flashing = flashing.filter(function (entry) {
      var card = cardShowing(entry.call);
      if (entry.started === null) {
        if (card) flash(entry, card);
        return card || now - entry.arrived < FLASH_MS; // a board that never shows the call is not waited for
      }
      if (now - entry.started >= FLASH_MS) return false;
      if (card && !card.classList.contains("flash")) flash(entry, card);
      return true;
    });
  }

  function announce(call) {
    // A recall flashes again from the start; a call arriving just before the board that shows it waits for it.
    flashing = flashing.filter(function (entry) { return entry.call.desk !== call.desk; });
    flashing.push({ call: call, arrived: Date.now(), started: null });
    showFlashes();
    if (!soundOn) return; // the call is shown, not saved up to be played all at once after the touch
    queue.push(call);
    if (!playing) playNext();
  }

  function enableSound(overlay) {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (Context) {
      audio = new Context();
      audio.resume();
    }
    // The touch itself is what lets Chromium speak later; asking for the voices now makes the browser
    // load them, so the first call already finds the Indonesian one.
    if (window.speechSynthesis) window.speechSynthesis.getVoices();
    soundOn = true;
    overlay.hidden = true;
  }

  // The desk rows and their type shrink with the number of desks. The board says how many in data-desks; the
  // Content-Security-Policy refuses a style attribute, so the CSS variable is set here.
  function sizeDesks() {
    document.querySelectorAll("[data-desks]").forEach(function (desks) {
      desks.style.setProperty("--desks", desks.dataset.desks);
    });
  }
  sizeDesks(); // a deferred script: the board is already parsed
  document.addEventListener("htmx:afterSwap", sizeDesks);

  document.addEventListener("DOMContentLoaded", function () {
    var overlay = document.querySelector("[data-unlock]");
    overlay.addEventListener("click", function () { enableSound(overlay); }, { once: true });
    startClock();
  });
  document.addEventListener("sse:announce", function (event) { announce(JSON.parse(event.detail.data)); });
  document.addEventListener("htmx:afterSwap", showFlashes);
  document.addEventListener("htmx:sseError", function () {
    document.querySelector("[data-reconnecting]").hidden = false;
  });
  document.addEventListener("htmx:sseOpen", function () {
    document.querySelector("[data-reconnecting]").hidden = true;
  });
})();
