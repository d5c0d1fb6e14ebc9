/* wfengine console: the little that htmx does not do.
 * - polled parts send back the entity tag they were rendered with
 *   (If-None-Match), so an unchanged part costs a 304 and no swap;
 * - durations of running things tick every second;
 * - action dialogs open when their form arrives and close once done. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function duration(seconds) {
    if (seconds < 1) { return "< 1 s"; }
    if (seconds < 10) { return seconds.toFixed(1) + " s"; }
    seconds = Math.floor(seconds);
    if (seconds < 60) { return seconds + " s"; }
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) { return minutes + " min " + pad(seconds % 60) + " s"; }
    var hours = Math.floor(minutes / 60);
    if (hours < 48) { return hours + " h " + pad(minutes % 60) + " min"; }
    return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) { el.textContent = duration(Math.max(now - since, 0) / 1000); }
    });
  }
  setInterval(tick, 1000);

  document.addEventListener("htmx:configRequest", function (event) {
    var tag = event.detail.elt.getAttribute("data-etag");
    if (tag && event.detail.verb === "get") {
      event.detail.headers["If-None-Match"] = '"' + tag + '"';
    }
  });

  var dialog = function () { return document.getElementById("dialog"); };

  // A refresh of the live part keeps the task details that were open.
  var opened = [];
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "live") {
      opened = Array.from(document.querySelectorAll(
        "details[data-task-details][open]")).map(function (d) {
        return d.getAttribute("data-task-details");
      });
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    opened.forEach(function (id) {
      var again = document.querySelector('details[data-task-details="' + id + '"]');
      if (again) { again.open = true; }
    });
    opened = [];
    // A polled part says what the tab's title is now (counts included).
    var titled = document.querySelector("[data-title]");
    if (titled) { document.title = titled.getAttribute("data-title"); }
    if (event.detail.target && event.detail.target.id === "dialog-body") {
      var flash = document.getElementById("dialog-flash");
      if (flash) { flash.textContent = ""; flash.className = ""; }
      if (!dialog().open) { dialog().showModal(); }
      var first = dialog().querySelector("textarea, input[type=text]");
      if (first) { first.focus(); }
    }
  });

  document.addEventListener("console-done", function () {
    var d = dialog();
    if (d && d.open) {
      var note = document.getElementById("dialog-flash");
      var page = document.getElementById("flash");
      if (note && page) {
        // (htmx is still settling the note's classes: use its data.)
        page.className = "flash " + (note.getAttribute("data-flash") || "ok");
        page.textContent = note.textContent;
        note.textContent = "";
        note.className = "";
        note.id = "dialog-flash";
      }
      d.close();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.matches("[data-close]")) { dialog().close(); }
  });
})();
