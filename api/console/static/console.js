// EntryGo console: keeps a page current without a reload. Every 2 s the page asks for itself
// again with the ETag it has; the server answers 304 while nothing changed. A new version
// replaces <main> and the title, unless the reviewer is typing in a form of the page or has
// selected something in it (a checked box).
(function () {
  "use strict";
  var body = document.body;
  if (!body) {
    return;
  }

  // The queue's "Select all with the same reason codes and rule pack": every row whose cluster
  // (its codes under its rule pack) is that of a row already selected.
  document.addEventListener("click", function (event) {
    var button = event.target;
    if (!button || button.id !== "select-same") {
      return;
    }
    var boxes = document.querySelectorAll("main input[type=checkbox][data-cluster]");
    var wanted = {};
    var any = false;
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked) {
        wanted[boxes[i].dataset.cluster] = true;
        any = true;
      }
    }
    var hint = document.getElementById("select-hint");
    if (!any) {
      if (hint) {
        hint.textContent = "Select one export first.";
      }
      return;
    }
    var count = 0;
    for (var j = 0; j < boxes.length; j++) {
      if (wanted[boxes[j].dataset.cluster] && !boxes[j].disabled) {
        boxes[j].checked = true;
        count++;
      }
    }
    if (hint) {
      hint.textContent = count + " selected.";
    }
  });

  if (body.dataset.live !== "on" || !window.fetch || !window.DOMParser) {
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
    return document.querySelector("main input[type=checkbox]:checked") !== null;
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
