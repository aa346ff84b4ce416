// upstate console: the few things HTML alone does not do. Pages work
// without it; with it, live pages refresh their [data-live] regions when
// /console/events says something changed, without a reload.
(function () {
  "use strict";

  // Read-only fields holding a token or key select themselves when focused,
  // ready to copy.
  document.querySelectorAll("[data-select]").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });

  if (!document.body.hasAttribute("data-live-page") || !window.EventSource || !window.fetch) {
    return;
  }
  var pending = null;
  var busy = false;

  // refresh fetches this page again and swaps in its live regions; events
  // that arrive meanwhile coalesce into one more fetch.
  function refresh() {
    if (busy) { pending = true; return; }
    busy = true;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected || !r.ok) { throw new Error("status " + r.status); }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (fresh) { el.replaceWith(document.importNode(fresh, true)); }
        });
        document.body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () { /* the next event or reconnection tries again */ })
      .then(function () {
        busy = false;
        if (pending) { pending = false; refresh(); }
      });
  }

  var opened = false;
  var source = new EventSource("/console/events");
  source.addEventListener("status", refresh);
  source.addEventListener("incidents", refresh);
  // Streams end every few seconds and reconnect; what happened in between
  // is fetched on reconnection.
  source.addEventListener("open", function () {
    if (opened) { refresh(); }
    opened = true;
  });
})();
