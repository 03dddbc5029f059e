// EntryGo console: keeps a page current without a reload. The server says when the page's
// events changed (/console/live, server-sent events); the page then asks for itself again with
// the ETag it has, and the server answers 304 while nothing it shows changed. A new version
// replaces <main> and the title, unless the reviewer is typing in a form of the page or has
// chosen something in it (a checked box, another option of a list): then it asks again every
// 2 s until it can. Without
// the live signal (a browser without EventSource, the stream down) it asks every 2 s; with it,
// every 30 s as well, for what changes without an event.
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
  var etag = body.dataset.etag || null;  // this page's own: an unchanged page is answered 304
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
    if (document.querySelector("main input[type=checkbox]:checked") !== null) {
      return true;
    }
    // a choice made in a list (a filter not yet applied) is kept too: a new page would reset it
    var lists = document.querySelectorAll("main select");
    for (var j = 0; j < lists.length; j++) {
      if (chosen(lists[j])) {
        return true;
      }
    }
    return false;
  }

  // Whether a list shows another choice than the page came with (the option marked selected,
  // the last if several, else the first).
  function chosen(list) {
    var options = list.options;
    if (list.multiple) {
      for (var k = 0; k < options.length; k++) {
        if (options[k].selected !== options[k].defaultSelected) {
          return true;
        }
      }
      return false;
    }
    if (options.length === 0) {
      return false;
    }
    var initial = 0;
    for (var m = 0; m < options.length; m++) {
      if (options[m].defaultSelected) {
        initial = m;
      }
    }
    return list.selectedIndex !== initial;
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
    dirty = false;
    asked = Date.now();
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
          if (response.status !== 304) {
            dirty = true;  // not answered: ask again at the next tick
          }
          return null;
        }
        etag = response.headers.get("ETag");
        return response.text();
      })
      .then(function (html) {
        if (html && typing()) {
          etag = null;  // the reviewer began meanwhile: keep the page, take it when they are done
          dirty = true;
        } else if (html) {
          swap(html);
        }
      })
      .catch(function () {
        dirty = true;
      })
      .then(function () {
        busy = false;
      });
  }

  var dirty = true;  // asked for, not yet answered
  var asked = 0;
  var source = null;
  var connected = false;
  var QUIET_MS = 30000;

  function tick() {
    if (!connected || dirty || Date.now() - asked >= QUIET_MS) {
      poll();
    }
  }

  // Only a visible page holds a stream: a browser opens few connections to one host at once,
  // and a reviewer's background tabs must not take them all.
  var sourceUrl = body.dataset.liveSource;

  function listen() {
    if (source || !sourceUrl || !window.EventSource || document.hidden) {
      return;
    }
    source = new EventSource(sourceUrl);
    source.addEventListener("open", function () {
      connected = true;
      dirty = true;  // whatever changed while the stream was down
      poll();
      body.dataset.liveConnected = "yes";
    });
    source.addEventListener("error", function () {
      connected = false;  // the browser connects again by itself; meanwhile ask every 2 s
      body.dataset.liveConnected = "no";
    });
    source.addEventListener("changed", function () {
      dirty = true;
      poll();
    });
    source.addEventListener("signed-out", function () {
      unlisten();
      poll();  // answered 401: the page goes to sign-in
    });
  }

  function unlisten() {
    if (source) {
      source.close();
      source = null;
    }
    connected = false;
    body.dataset.liveConnected = "no";
    dirty = true;
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      unlisten();
    } else {
      listen();
    }
  });
  listen();
  window.setInterval(tick, interval);
})();
