// EntryGo console: keeps a page current without a reload. Every 2 s the page asks for itself
// again with the ETag it has; the server answers 304 while nothing changed. A new version
// replaces <main> and the title, unless the reviewer is typing in a form of the page.
(function () {
  "use strict";
  var body = document.body;
  if (!body || body.dataset.live !== "on" || !window.fetch || !window.DOMParser) {
    return;
  }
  var interval = parseInt(body.dataset.liveInterval, 10) || 2000;
  var etag = null;
  var busy = false;

  function typing() {
    var active = document.activeElement;
    if (active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA" || active.tagName === "SELECT")) {
      return true;
    }
    var fields = document.querySelectorAll(
      "main textarea, main input[type=text], main input:not([type]), main input[type=file], " +
      "main input[type=datetime-local]"
    );
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value) {
        return true;
      }
    }
    return false;
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var main = fresh.getElementById("main");
    if (!main) {
      return;
    }
    document.getElementById("main").replaceWith(main);
    document.title = fresh.title;
    body.dataset.refreshed = String((parseInt(body.dataset.refreshed, 10) || 0) + 1);
  }

  function poll() {
    if (busy || document.hidden || typing()) {
      return;
    }
    busy = true;
    var headers = { "X-Console-Live": "1" };
    if (etag) {
      headers["If-None-Match"] = etag;
    }
    fetch(window.location.href, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) {
          window.location.reload();  // the session ended: the server sends us to sign-in
          return null;
        }
        if (response.status !== 200) {
          return null;
        }
        etag = response.headers.get("ETag");
        return response.text();
      })
      .then(function (html) {
        if (html) {
          swap(html);
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
      });
  }

  window.setInterval(poll, interval);
})();
