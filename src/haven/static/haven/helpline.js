/* Helpline console: a call timer, Enter to save from the notes, and htmx error swaps.
   Optional: the server fills an empty duration itself, and the form works without it. */
(function () {
  "use strict";
  var STALE_MS = 2 * 60 * 1000;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // Now, as the organisation's clock reads it (the server reads typed times in the
  // organisation's zone, which need not be this device's).
  function localNow(zone) {
    var d = new Date();
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", {
        timeZone: zone || undefined, hourCycle: "h23", year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit"
      }).formatToParts(d).forEach(function (part) { parts[part.type] = part.value; });
      return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute;
    } catch (error) {
      return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
        "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
    }
  }

  function setUp(form) {
    if (!form || form.dataset.helplineReady) { return; }
    form.dataset.helplineReady = "1";
    var openedAt = Date.now();
    var started = form.querySelector("[name=started_at]");
    var duration = form.querySelector("[name=duration_minutes]");
    var notes = form.querySelector("[name=notes]");
    var timer = form.querySelector("#call-timer");
    var startNote = form.querySelector("#start-note");
    var startTouched = false;
    var begun = false;

    if (started) {
      started.addEventListener("input", function () { startTouched = true; });
    }
    // A console left open between calls: the call starts at the first keystroke, not at load.
    form.addEventListener("input", function (event) {
      if (begun || event.target === started) { return; }
      begun = true;
      if (Date.now() - openedAt > STALE_MS && started && !startTouched && !form.querySelector(".errorlist")) {
        started.value = localNow(form.dataset.timeZone);
        openedAt = Date.now();
        if (startNote) { startNote.textContent = startNote.dataset.reset.replace("%s", started.value.slice(11)); }
      }
    });
    if (timer) {
      var tick = window.setInterval(function () {
        if (!document.body.contains(form)) { window.clearInterval(tick); return; }
        var seconds = Math.floor((Date.now() - openedAt) / 1000);
        timer.textContent = "⏱ " + Math.floor(seconds / 60) + ":" + pad(seconds % 60);
      }, 1000);
    }
    // Capture on the document, so the duration is in place before htmx reads the form.
    document.addEventListener("submit", function (event) {
      if (event.target !== form) { return; }
      if (duration && duration.value === "" && !startTouched) {
        duration.value = String(Math.max(0, Math.ceil((Date.now() - openedAt) / 60000)));
      }
    }, true);
    if (notes) {
      notes.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
        }
      });
    }
  }

  function setUpAll() { setUp(document.getElementById("call-form")); }

  document.addEventListener("DOMContentLoaded", setUpAll);
  document.addEventListener("htmx:load", setUpAll);
  // htmx gives focus back to the field that had it; the form says where it should go.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "call-form") { return; }
    var form = document.getElementById("call-form");
    var wanted = form && form.querySelector("[autofocus]");
    if (wanted) { wanted.focus(); }
  });
  // The server answers a refused call with 400 and the form with its messages: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr && detail.xhr.status === 400 && detail.target && detail.target.id === "call-form") {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
