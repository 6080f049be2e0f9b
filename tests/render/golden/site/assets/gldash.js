/* gldash: progressive enhancement for the static dashboard. Every page works without it. */
(function () {
  "use strict";

  var doc = document;
  var STATE_RANK = { failed: 0, running: 1, manual: 2, canceled: 3, success: 4, skipped: 5, none: 6 };
  // Rows shown at a time: a keystroke then restyles at most this many rows, which keeps the
  // next frame within budget at 10,000 projects; "Show more" extends it.
  var PAGE_STEP = 100;

  function ago(hours) {
    if (hours < 1 / 60) return "just now";
    if (hours < 1) return Math.round(hours * 60) + " min ago";
    if (hours < 48) return Math.round(hours) + " h ago";
    return Math.round(hours / 24) + " d ago";
  }

  /* Freshness from the visitor's clock, so that a cached page still tells the truth. */
  function freshness() {
    var el = doc.getElementById("freshness");
    if (!el) return;
    var at = Date.parse(el.getAttribute("data-generated-at") || "");
    var warnHours = parseFloat(el.getAttribute("data-warn-hours") || "0");
    var age = el.querySelector(".fresh-age");
    var warn = el.querySelector(".fresh-warn");
    if (isNaN(at) || !age) return;
    function tick() {
      var hours = (Date.now() - at) / 3600000;
      age.textContent = " (" + ago(hours) + ")";
      var old = warnHours > 0 && hours > warnHours;
      el.classList.toggle("warn", old);
      if (warn) warn.hidden = !old;
    }
    tick();
    setInterval(tick, 60000);
  }

  /* "/" focuses the page's filter, as on GitLab and GitHub. */
  function slashFocus() {
    doc.addEventListener("keydown", function (ev) {
      if (ev.key !== "/" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      var t = ev.target;
      var tag = t && t.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
      var filter = doc.querySelector("[data-filter]");
      if (!filter || filter.closest("[hidden]")) return;
      ev.preventDefault();
      filter.focus();
      filter.select();
    });
  }

  function num(text) {
    var n = parseFloat(text);
    return isNaN(n) ? -1 : n;
  }

  /* "2h 05m", "4m 12s", "42s" back to seconds (-1 when unknown). */
  function seconds(text) {
    var m = /^(?:(\d+)h )?(?:(\d+)m ?)?(?:(\d+)s)?$/.exec(text.trim());
    if (!m || !text.trim() || text.trim() === "–") return -1;
    return (+m[1] || 0) * 3600 + (+m[2] || 0) * 60 + (+m[3] || 0);
  }

  /* Projects table: filter, sort, URL state. Rows are indexed once; each keystroke only
     scans arrays and swaps at most PAGE_STEP rows into the table body. */
  function projects() {
    var table = doc.getElementById("projects");
    var form = doc.getElementById("filters");
    if (!table || !form) return;
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var n = rows.length;
    var hay = new Array(n), state = new Array(n), failing = new Array(n), ns = new Array(n);
    var topics = new Array(n), vis = new Array(n);
    for (var i = 0; i < n; i++) {
      var r = rows[i], c = r.cells;
      var tl = [];
      for (var k = 0; k < c[8].children.length; k++) tl.push(c[8].children[k].textContent);
      topics[i] = tl;
      state[i] = r.getAttribute("data-s");
      failing[i] = r.hasAttribute("data-f");
      var path = c[0].firstChild.textContent;
      ns[i] = path.slice(0, path.lastIndexOf("/"));
      vis[i] = c[9].textContent;
      hay[i] = (c[0].textContent + " " + tl.join(" ")).toLowerCase();
    }
    var keyFns = {
      path: function (i) { return hay[i]; },
      status: function (i) { return (failing[i] ? 0 : 10) + STATE_RANK[state[i]]; },
      last: function (i) {
        var t = rows[i].cells[2].querySelector("time");
        return t ? Date.parse(t.getAttribute("datetime")) : -Infinity;
      },
      duration: function (i) { return seconds(rows[i].cells[3].textContent); },
      success: function (i) { return num(rows[i].cells[5].textContent); },
      mrs: function (i) { return num(rows[i].cells[6].textContent); },
      stale: function (i) { return num(rows[i].cells[7].textContent); },
      topics: function (i) { return topics[i].join(" ").toLowerCase(); },
      vis: function (i) { return vis[i]; }
    };
    var natural = [];
    for (i = 0; i < n; i++) natural.push(i);
    // `shown` starts as what the server rendered: every row, in page order.
    var order = natural, sortKey = "", limit = PAGE_STEP, shown = natural;
    var fields = {
      q: doc.getElementById("q"),
      status: doc.getElementById("f-status"),
      group: doc.getElementById("f-group"),
      topic: doc.getElementById("f-topic"),
      vis: doc.getElementById("f-vis")
    };
    var count = doc.getElementById("count");
    var more = doc.getElementById("more");
    var heads = table.tHead.rows[0].cells;

    function sortBy(key) {
      sortKey = key;
      var desc = key.charAt(0) === "-", name = desc ? key.slice(1) : key, fn = keyFns[name];
      for (var h = 0; h < heads.length; h++) {
        var hk = heads[h].getAttribute("data-k");
        if (hk === name && fn) heads[h].setAttribute("aria-sort", desc ? "descending" : "ascending");
        else if (hk) heads[h].removeAttribute("aria-sort");
      }
      if (!fn) { order = natural; return; }
      var keys = natural.map(fn);
      order = natural.slice().sort(function (a, b) {
        var x = keys[a], y = keys[b];
        var d = x < y ? -1 : x > y ? 1 : a - b;
        return desc && x !== y ? -d : d;
      });
    }

    function update(resetLimit) {
      if (resetLimit) limit = PAGE_STEP;
      var q = fields.q.value.trim().toLowerCase();
      var st = fields.status.value, g = fields.group.value, tp = fields.topic.value, v = fields.vis.value;
      var gp = g + "/";
      var match = [], failed = 0;
      for (var j = 0; j < n; j++) {
        var i = order[j];
        if (q && hay[i].indexOf(q) < 0) continue;
        if (st === "failing" ? !failing[i] : st && state[i] !== st) continue;
        if (g && ns[i] !== g && ns[i].lastIndexOf(gp, 0) !== 0) continue;
        if (tp && topics[i].indexOf(tp) < 0) continue;
        if (v && vis[i] !== v) continue;
        match.push(i);
        if (failing[i]) failed++;
      }
      var next = match.slice(0, limit);
      var same = next.length === shown.length;
      for (var s = 0; same && s < next.length; s++) same = next[s] === shown[s];
      if (!same) {
        var frag = doc.createDocumentFragment();
        for (s = 0; s < next.length; s++) frag.appendChild(rows[next[s]]);
        tbody.replaceChildren(frag);
        shown = next;
      }
      count.textContent = match.length.toLocaleString("en") + " of " + n.toLocaleString("en") +
        " projects match, " + failed.toLocaleString("en") + " failing" +
        (match.length > next.length ? "; showing the first " + next.length.toLocaleString("en") : "") + ".";
      more.hidden = match.length <= next.length;
      more.textContent = "Show " + Math.min(PAGE_STEP, match.length - next.length).toLocaleString("en") + " more";
      saveSoon();
    }

    var timer = 0;
    function saveSoon() {
      // The URL follows the view a moment later: browsers throttle rapid history updates.
      clearTimeout(timer);
      timer = setTimeout(save, 250);
    }
    function save() {
      var p = new URLSearchParams();
      for (var name in fields) if (fields[name].value) p.set(name, fields[name].value.trim());
      if (sortKey) p.set("sort", sortKey);
      var qs = p.toString();
      try {
        history.replaceState(null, "", location.pathname + (qs ? "?" + qs : "") + location.hash);
      } catch (e) { /* some file:// contexts refuse; the view still works */ }
    }

    function load() {
      var p = new URLSearchParams(location.search);
      for (var name in fields) {
        var val = p.get(name) || "";
        var el = fields[name];
        if (el.tagName === "SELECT" && val && !el.querySelector("option[value=\"" + CSS.escape(val) + "\"]")) val = "";
        el.value = val;
      }
      var sk = p.get("sort") || "";
      if (sk && keyFns[sk.replace(/^-/, "")]) sortBy(sk);
    }

    for (var h = 0; h < heads.length; h++) {
      (function (th) {
        var key = th.getAttribute("data-k");
        if (!key) return;
        var b = doc.createElement("button");
        b.type = "button";
        while (th.firstChild) b.appendChild(th.firstChild);
        th.appendChild(b);
        b.addEventListener("click", function () {
          // Numbers read best largest first, names alphabetically.
          var first = key === "path" || key === "topics" || key === "vis" || key === "status" ? key : "-" + key;
          var next = sortKey === first ? (first.charAt(0) === "-" ? key : "-" + key) : first;
          sortBy(next);
          update(false);
        });
      })(heads[h]);
    }
    form.addEventListener("input", function () { update(true); });
    form.addEventListener("change", function () { update(true); });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(function () { update(true); }, 0); });
    more.addEventListener("click", function () { limit += PAGE_STEP; update(false); });
    form.hidden = false;
    load();
    update(false);
  }

  /* Merge requests: draft, conflicts and project filters. */
  function mergeRequests() {
    var table = doc.getElementById("mrs");
    var form = doc.getElementById("mr-filters");
    if (!form) return;
    form.hidden = false;
    if (!table) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var projectText = rows.map(function (r) { return r.cells[1].textContent.toLowerCase(); });
    var q = doc.getElementById("mr-q"), draft = doc.getElementById("mr-draft");
    var conflicts = doc.getElementById("mr-conflicts"), count = doc.getElementById("mr-count");
    function update() {
      var text = q.value.trim().toLowerCase(), d = draft.value, c = conflicts.value, shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var r = rows[i];
        var ok = (!text || projectText[i].indexOf(text) >= 0) &&
          (!d || r.getAttribute("data-draft") === d) &&
          (!c || r.getAttribute("data-conflicts") === c);
        if (r.hidden === ok) r.hidden = !ok;
        if (ok) shown++;
      }
      count.textContent = shown.toLocaleString("en") + " of " + rows.length.toLocaleString("en") + " merge requests shown.";
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(update, 0); });
  }

  /* Radiator: ?group= and ?topic= filters and a periodic reload for wall screens. */
  function radiator() {
    var wall = doc.getElementById("wall");
    if (!wall) return;
    var p = new URLSearchParams(location.search);
    var g = p.get("group") || "", t = p.get("topic") || "";
    var tiles = wall.children, shown = 0, failing = 0;
    for (var i = 0; i < tiles.length; i++) {
      var tile = tiles[i], ns = tile.getAttribute("data-ns") || "";
      var tt = (tile.getAttribute("data-topics") || "").split("\t");
      var ok = (!g || ns === g || ns.lastIndexOf(g + "/", 0) === 0) && (!t || tt.indexOf(t) >= 0);
      tile.hidden = !ok;
      if (ok) {
        shown++;
        if (tile.classList.contains("s-failed")) failing++;
      }
    }
    var label = doc.getElementById("wall-filter");
    var parts = [];
    if (g) parts.push("group " + g);
    if (t) parts.push("topic " + t);
    if (label) label.textContent = parts.length ? "(" + parts.join(", ") + ")" : "";
    var count = doc.getElementById("wall-count");
    if (count) count.textContent = failing + " failing of " + shown + " projects.";
    var minutes = parseFloat(wall.getAttribute("data-reload-minutes") || "5");
    if (minutes > 0) setTimeout(function () { location.reload(); }, minutes * 60000);
  }

  function init() {
    freshness();
    slashFocus();
    projects();
    mergeRequests();
    radiator();
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
