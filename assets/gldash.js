/* gldash: progressive enhancement for the static dashboard. Every page works without it.
   Tables are read by header key (`<th data-k>`) and machine values (`data-*`), never by column
   position or by parsing what a cell displays, so a template may reorder or restyle columns. */
(() => {
  "use strict";

  const doc = document;
  // Rows shown at a time: a keystroke then restyles at most this many rows, which keeps the
  // next frame within budget at 10,000 projects; "Show more" extends it.
  const PAGE_STEP = 100;

  function ago(hours) {
    if (hours < 1 / 60) return "just now";
    if (hours < 1) return Math.round(hours * 60) + " min ago";
    if (hours < 48) return Math.round(hours) + " h ago";
    return Math.round(hours / 24) + " d ago";
  }

  /* Freshness from the visitor's clock, so that a cached page still tells the truth. */
  function freshness() {
    const el = doc.getElementById("freshness");
    if (!el) return;
    const at = Date.parse(el.getAttribute("data-generated-at") || "");
    const warnHours = parseFloat(el.getAttribute("data-warn-hours") || "0");
    const age = el.querySelector(".fresh-age");
    const warn = el.querySelector(".fresh-warn");
    if (isNaN(at) || !age) return;
    const tick = () => {
      const hours = (Date.now() - at) / 3600000;
      age.textContent = " (" + ago(hours) + ")";
      const old = warnHours > 0 && hours > warnHours;
      el.classList.toggle("warn", old);
      if (warn) warn.hidden = !old;
    };
    tick();
    setInterval(tick, 60000);
  }

  /* "/" focuses the page's filter, as on GitLab and GitHub. */
  function slashFocus() {
    doc.addEventListener("keydown", (ev) => {
      if (ev.key !== "/" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const t = ev.target;
      const tag = t && t.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
      const filter = doc.querySelector("[data-filter]");
      if (!filter || filter.closest("[hidden]")) return;
      ev.preventDefault();
      filter.focus();
      filter.select();
    });
  }

  /* The header cell of each key; a cell's column is looked up when it is read, so even a
     column moved after the page loaded is found. */
  function headers(table) {
    // No prototype: a key from the URL such as "constructor" must not find anything.
    const byKey = Object.create(null);
    if (!table.tHead) return byKey;
    for (const th of table.tHead.rows[0].cells) {
      const key = th.getAttribute("data-k");
      if (key) byKey[key] = th;
    }
    return byKey;
  }

  /* A number cell's machine value: its data-v, else the datetime of its <time>. Cells without
     one (no pipeline yet, nothing to measure) sort below every value. */
  function machineValue(td) {
    const v = td.getAttribute("data-v");
    const time = v === null ? td.querySelector("time") : null;
    const x = v !== null ? parseFloat(v) : time ? Date.parse(time.getAttribute("datetime")) : NaN;
    return isNaN(x) ? -Infinity : x;
  }

  /* Projects table: filter, sort, URL state. Rows are indexed once; each keystroke only
     scans arrays and swaps at most PAGE_STEP rows into the table body. */
  function projects() {
    const table = doc.getElementById("projects");
    const form = doc.getElementById("filters");
    if (!table || !form) return;
    const tbody = table.tBodies[0];
    const rows = Array.from(tbody.rows);
    const n = rows.length;
    const heads = headers(table);
    const cell = (r, key) => (heads[key] ? r.cells[heads[key].cellIndex] : null);
    const text = (r, key) => {
      const c = cell(r, key);
      return c ? c.textContent : "";
    };
    const hay = [], state = [], failing = [], ns = [], topics = [], vis = [];
    for (const r of rows) {
      const tc = cell(r, "topics");
      const tl = tc ? Array.from(tc.children, (el) => el.textContent) : [];
      const pc = cell(r, "path");
      const link = pc && pc.querySelector("a");
      const path = link ? link.textContent : "";
      topics.push(tl);
      state.push(r.getAttribute("data-s"));
      failing.push(r.hasAttribute("data-f"));
      ns.push(path.slice(0, path.lastIndexOf("/")));
      vis.push(text(r, "vis"));
      hay.push((text(r, "path") + " " + tl.join(" ")).toLowerCase());
    }

    /* Sort keys of every row for one column, by the header's data-sort: "text" compares the
       cell's text, "status" the row's state in the header's data-order with failing default
       branches first; anything else is a number column. */
    function sortKeys(th) {
      const kind = th.getAttribute("data-sort");
      const col = th.cellIndex;
      if (kind === "status") {
        const ranks = (th.getAttribute("data-order") || "").split(" ");
        return rows.map((r, i) => (failing[i] ? 0 : ranks.length) + ranks.indexOf(state[i]));
      }
      if (kind === "text") return rows.map((r) => r.cells[col].textContent.toLowerCase());
      return rows.map((r) => machineValue(r.cells[col]));
    }

    const natural = rows.map((r, i) => i);
    // `shown` starts as what the server rendered: every row, in page order.
    let order = natural, sortKey = "", limit = PAGE_STEP, shown = natural;
    const fields = {
      q: doc.getElementById("q"),
      status: doc.getElementById("f-status"),
      group: doc.getElementById("f-group"),
      topic: doc.getElementById("f-topic"),
      vis: doc.getElementById("f-vis")
    };
    const count = doc.getElementById("count");
    const more = doc.getElementById("more");

    function sortBy(key) {
      sortKey = key;
      const desc = key.charAt(0) === "-", name = desc ? key.slice(1) : key, th = heads[name];
      for (const k in heads) {
        if (heads[k] === th) heads[k].setAttribute("aria-sort", desc ? "descending" : "ascending");
        else heads[k].removeAttribute("aria-sort");
      }
      if (!th) {
        order = natural;
        return;
      }
      const keys = sortKeys(th);
      order = natural.slice().sort((a, b) => {
        const x = keys[a], y = keys[b];
        const d = x < y ? -1 : x > y ? 1 : a - b;
        return desc && x !== y ? -d : d;
      });
    }

    function update(resetLimit) {
      if (resetLimit) limit = PAGE_STEP;
      const q = fields.q.value.trim().toLowerCase();
      const st = fields.status.value, g = fields.group.value, tp = fields.topic.value, v = fields.vis.value;
      const gp = g + "/";
      const match = [];
      let failed = 0;
      for (const i of order) {
        if (q && hay[i].indexOf(q) < 0) continue;
        if (st === "failing" ? !failing[i] : st && state[i] !== st) continue;
        if (g && ns[i] !== g && ns[i].lastIndexOf(gp, 0) !== 0) continue;
        if (tp && topics[i].indexOf(tp) < 0) continue;
        if (v && vis[i] !== v) continue;
        match.push(i);
        if (failing[i]) failed++;
      }
      const next = match.slice(0, limit);
      const same = next.length === shown.length && next.every((i, s) => i === shown[s]);
      if (!same) {
        const frag = doc.createDocumentFragment();
        for (const i of next) frag.appendChild(rows[i]);
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

    let timer = 0;
    function saveSoon() {
      // The URL follows the view a moment later: browsers throttle rapid history updates.
      clearTimeout(timer);
      timer = setTimeout(save, 250);
    }
    function save() {
      const p = new URLSearchParams();
      for (const name in fields) if (fields[name].value) p.set(name, fields[name].value.trim());
      if (sortKey) p.set("sort", sortKey);
      const qs = p.toString();
      try {
        history.replaceState(null, "", location.pathname + (qs ? "?" + qs : "") + location.hash);
      } catch (e) { /* some file:// contexts refuse; the view still works */ }
    }

    function load() {
      const p = new URLSearchParams(location.search);
      for (const name in fields) {
        const el = fields[name];
        let val = p.get(name) || "";
        if (el.tagName === "SELECT" && val && !el.querySelector("option[value=\"" + CSS.escape(val) + "\"]")) val = "";
        el.value = val;
      }
      const sk = p.get("sort") || "";
      if (heads[sk.replace(/^-/, "")]) sortBy(sk);
    }

    for (const key in heads) {
      const th = heads[key];
      const b = doc.createElement("button");
      b.type = "button";
      while (th.firstChild) b.appendChild(th.firstChild);
      th.appendChild(b);
      b.addEventListener("click", () => {
        // Numbers read best largest first, names and states in their own order.
        const first = th.hasAttribute("data-sort") ? key : "-" + key;
        const next = sortKey === first ? (first.charAt(0) === "-" ? key : "-" + key) : first;
        sortBy(next);
        update(false);
      });
    }
    form.addEventListener("input", () => update(true));
    form.addEventListener("change", () => update(true));
    form.addEventListener("submit", (ev) => ev.preventDefault());
    form.addEventListener("reset", () => setTimeout(() => update(true), 0));
    more.addEventListener("click", () => {
      limit += PAGE_STEP;
      update(false);
    });
    form.hidden = false;
    load();
    update(false);
  }

  /* Merge requests: draft, conflicts and project filters. */
  function mergeRequests() {
    const table = doc.getElementById("mrs");
    const form = doc.getElementById("mr-filters");
    if (!form) return;
    form.hidden = false;
    if (!table) return;
    const rows = Array.from(table.tBodies[0].rows);
    const project = headers(table).project;
    const projectText = rows.map((r) => (project ? r.cells[project.cellIndex].textContent.toLowerCase() : ""));
    const q = doc.getElementById("mr-q"), draft = doc.getElementById("mr-draft");
    const conflicts = doc.getElementById("mr-conflicts"), count = doc.getElementById("mr-count");
    function update() {
      const text = q.value.trim().toLowerCase(), d = draft.value, c = conflicts.value;
      let shown = 0;
      rows.forEach((r, i) => {
        const ok = (!text || projectText[i].indexOf(text) >= 0) &&
          (!d || r.getAttribute("data-draft") === d) &&
          (!c || r.getAttribute("data-conflicts") === c);
        if (r.hidden === ok) r.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown.toLocaleString("en") + " of " + rows.length.toLocaleString("en") + " merge requests shown.";
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", (ev) => ev.preventDefault());
    form.addEventListener("reset", () => setTimeout(update, 0));
  }

  /* Radiator: ?group= and ?topic= filters and a periodic reload for wall screens. */
  function radiator() {
    const wall = doc.getElementById("wall");
    if (!wall) return;
    const p = new URLSearchParams(location.search);
    const g = p.get("group") || "", t = p.get("topic") || "";
    let shown = 0, failing = 0;
    for (const tile of wall.children) {
      const ns = tile.getAttribute("data-ns") || "";
      const tt = (tile.getAttribute("data-topics") || "").split("\t");
      const ok = (!g || ns === g || ns.lastIndexOf(g + "/", 0) === 0) && (!t || tt.indexOf(t) >= 0);
      tile.hidden = !ok;
      if (ok) {
        shown++;
        if (tile.classList.contains("s-failed")) failing++;
      }
    }
    const label = doc.getElementById("wall-filter");
    const parts = [];
    if (g) parts.push("group " + g);
    if (t) parts.push("topic " + t);
    if (label) label.textContent = parts.length ? "(" + parts.join(", ") + ")" : "";
    const count = doc.getElementById("wall-count");
    if (count) count.textContent = failing + " failing of " + shown + " projects.";
    const minutes = parseFloat(wall.getAttribute("data-reload-minutes") || "5");
    if (minutes > 0) setTimeout(() => location.reload(), minutes * 60000);
  }

  /* Archive: older snapshots are stored as patches from their newer neighbour (see
     gldash_static/archive/delta.py); the Download link of one rebuilds the whole snapshot
     here, from the newest (stored whole) back through each patch, and saves it as JSON. */
  async function gunzipJson(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(url + ": HTTP " + response.status);
    let bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    }
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  function applyPatch(base, patch) {
    if ("=" in patch) return patch["="];
    if ("{" in patch) {
      const removed = new Set(patch["-"] || []);
      const out = {};
      for (const [k, v] of Object.entries(base || {})) if (!removed.has(k)) out[k] = v;
      for (const [k, sub] of Object.entries(patch["{"])) out[k] = applyPatch(out[k], sub);
      return out;
    }
    const edit = patch["["];
    const items = base || [];
    const texts = items.map((item) => JSON.stringify(item[edit.k]));
    const order = [];
    if (!edit.r) items.forEach((item, i) => order.push([texts[i], item]));
    for (const run of edit.r || []) {
      if (Array.isArray(run)) for (let i = run[0]; i < run[1]; i++) order.push([texts[i], items[i]]);
      else order.push([JSON.stringify(run), undefined]);
    }
    return order.map(([text, item]) => (text in edit.p ? applyPatch(item, edit.p[text]) : item));
  }

  async function rebuildSnapshot(link, status) {
    const folder = link.getAttribute("data-archive");
    const index = await gunzipJson(folder + "index.json");
    const rows = index.snapshots.slice().sort((a, b) => (a.time < b.time ? 1 : -1));
    const target = link.getAttribute("data-time");
    let state = null;
    for (const row of rows) {
      status.textContent = "rebuilding… " + row.time;
      // The newest is stored whole; the site publishes it once, as snapshot.json.gz.
      const url = row === rows[0] ? link.getAttribute("data-newest") : folder + row.path;
      const body = await gunzipJson(url);
      state = row.base ? applyPatch(state, body.patch) : body;
      if (row.time === target) break;
    }
    const blob = new Blob([JSON.stringify(state, null, 1)], { type: "application/json" });
    const save = doc.createElement("a");
    save.href = URL.createObjectURL(blob);
    save.download = "snapshot-" + target.replace(/[^0-9TZ]/g, "") + ".json";
    doc.body.appendChild(save);
    save.click();
    save.remove();
    status.textContent = "";
  }

  function archiveDownloads() {
    if (typeof DecompressionStream === "undefined") return; // the links then get the files
    for (const link of doc.querySelectorAll("a[data-rebuild]")) {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        const status = link.parentElement.querySelector(".rebuild-status");
        rebuildSnapshot(link, status).catch((error) => {
          status.textContent = "could not rebuild: " + error.message;
        });
      });
    }
  }

  function init() {
    freshness();
    slashFocus();
    projects();
    mergeRequests();
    radiator();
    archiveDownloads();
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
