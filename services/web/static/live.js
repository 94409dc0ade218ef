// Créneau: the only script. The page works without it (every button is a
// form that posts and comes back); with it, the drop-in queue follows the
// server's changes without a reload, waiting times tick, and print buttons
// print.
(function () {
  "use strict";
  // Print buttons: hidden without the script (the browser's menu prints).
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
  var box = document.querySelector("[data-live]");
  if (box && window.EventSource && window.fetch) {
    var first = true;
    var source = new EventSource(box.getAttribute("data-live"));
    source.addEventListener("queue", function () {
      if (first) { first = false; return; }
      fetch(box.getAttribute("data-fragment"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var focused = document.activeElement && document.activeElement.id;
          box.innerHTML = html;
          box.setAttribute("data-updated", String(Date.now()));
          if (focused) {
            var again = document.getElementById(focused);
            if (again) { again.focus(); }
          }
          tick();
        });
    });
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) {
        var minutes = Math.max(0, Math.floor((now - since) / 60000));
        el.textContent = (el.getAttribute("data-format") || "{} min").replace("{}", String(minutes));
      }
    });
  }
  tick();
  setInterval(tick, 20000);
})();
