/* gldash: progressive enhancement for the static dashboard. Every page works without it.
   Tables are read by header key (`<th data-k>`) and machine values (`data-*`), never by column
   position or by parsing what a cell displays, so a template may reorder or restyle columns.
   The projects table is the exception that scales: its rows come from columns embedded in the
   page (gldash_static/render/project_index.py), so 50,000 projects never become 50,000 rows. */
(() => {
  "use strict";

  const doc = document;
  // Rows shown at a time: a keystroke then restyles at most this many rows, which keeps the
  // next frame within budget at 10,000 projects; "Show more" extends it.
  const PAGE_STEP = 100;
  const MINUTE = 60000;
  // What a page does just before a reload, so that the reloaded page finds its state.
  const beforeReload = [];

  function ago(hours) {
    if (hours < 1 / 60) return "just now";
    if (hours < 1) return Math.round(hours * 60) + " min ago";
    if (hours < 48) return Math.round(hours) + " h ago";
    return Math.round(hours / 24) + " d ago";
  }

  /* Freshness from the visitor's clock, so that a cached page still tells the truth. */
  function freshness() {
    const box = doc.getElementById("freshness");
    if (!box) return;
    const at = Date.parse(box.getAttribute("data-generated-at") || "");
    const warnHours = parseFloat(box.getAttribute("data-warn-hours") || "0");
    if (isNaN(at)) return;
    // Made here rather than written into every page: without this script neither shows.
    const age = box.appendChild(el("span"));
    age.className = "fresh-age";
    const warn = el("strong");
    warn.className = "fresh-warn";
    warn.hidden = true;
    const sign = warn.appendChild(el("span", "\u26a0"));
    sign.setAttribute("aria-hidden", "true");
    warn.append(" older than " + warnHours + " h");
    box.append(" ", warn);
    const tick = () => {
      const hours = (Date.now() - at) / 3600000;
      age.textContent = " (" + ago(hours) + ")";
      const old = warnHours > 0 && hours > warnHours;
      box.classList.toggle("warn", old);
      warn.hidden = !old;
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

  /* The sparkline of a spark code (gldash_static/render/charts.py `spark_code`, drawn there
     by `spark_svg`: keep the two in step): one path per kind, failures hanging below. */
  const SVG = "http://www.w3.org/2000/svg";
  function sparkSvg(code) {
    const kinds = { f: "failed", s: "success", o: "other" };
    const d = Object.create(null);
    for (let n = 0, x = 0; n < code.length; x += 3) {
      const kind = kinds[code[n]];
      if (!kind) break;
      if (kind === "failed") {
        d.failed = (d.failed || "") + "M" + x + " 7v4h2v-4";
        n += 1;
      } else {
        const h = code[n + 1];
        d[kind] = (d[kind] || "") + "M" + x + " 7v-" + h + "h2v" + h;
        n += 2;
      }
    }
    const names = Object.keys(d).sort();
    if (!names.length) return null;
    const svg = doc.createElementNS(SVG, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 30 12");
    svg.setAttribute("aria-hidden", "true");
    for (const name of names) {
      const path = doc.createElementNS(SVG, "path");
      path.setAttribute("class", "c-" + name);
      path.setAttribute("d", d[name]);
      svg.appendChild(path);
    }
    return svg;
  }

  // Compact duration as gldash_static/render/text.py `duration` writes it.
  function duration(total) {
    if (total === null) return "–";
    if (total < 60) return total + "s";
    const m = Math.floor(total / 60), pad = (v) => (v < 10 ? "0" : "") + v;
    if (m < 60) return m + "m " + pad(total % 60) + "s";
    return Math.floor(m / 60) + "h " + pad(m % 60) + "m";
  }

  function el(tag, text) {
    const e = doc.createElement(tag);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* One row of the projects table from the page's columns, cell for cell what the
     `project_rows` macro writes (a browser test compares them), in the header's column order. */
  function rowBuilder(data, thead) {
    const c = data.cols, labels = data.labels;
    const number = (td, v, text) => {
      if (v !== null) td.setAttribute("data-v", v);
      td.textContent = text;
      return td;
    };
    // No prototype: a header key such as "constructor" finds no cell maker.
    const cells = Object.assign(Object.create(null), {
      path(i) {
        const td = el("td"), a = el("a", c.p[i]);
        a.setAttribute("href", "p/" + c.k[i] + ".html");
        td.appendChild(a);
        if (c.x[i]) {
          const s = el("span", "stale");
          s.className = "stale";
          td.append(" ", s);
        }
        return td;
      },
      status(i) {
        const td = el("td"), st = c.s[i], label = Object.prototype.hasOwnProperty.call(labels, st) ? labels[st] : ["none", st];
        const span = el("span", label[1]);
        span.className = "st s-" + label[0];
        td.appendChild(span);
        if (c.f[i] && st !== "failed") td.append(" ", el("small", "(last finished: failed)"));
        return td;
      },
      last(i) {
        const td = el("td"), t = c.t[i];
        if (t === null) {
          td.textContent = "–";
          return td;
        }
        const time = el("time", new Date((t + c.o[i]) * 60000).toISOString().slice(0, 16).replace("T", " "));
        time.setAttribute("datetime", new Date(t * 60000).toISOString().slice(0, 16) + "Z");
        td.appendChild(time);
        return td;
      },
      duration: (i) => number(el("td"), c.d[i], duration(c.d[i])),
      recent(i) {
        const td = el("td"), svg = sparkSvg(c.r[i]);
        if (svg) td.appendChild(svg);
        return td;
      },
      success: (i) => number(el("td"), c.c[i], c.c[i] === null ? "–" : c.c[i] + "%"),
      mrs: (i) => number(el("td"), c.m[i], String(c.m[i])),
      stale: (i) => number(el("td"), c.b[i], String(c.b[i])),
      topics(i) {
        const td = el("td");
        for (const t of c.g[i]) td.append(el("span", t), " ");
        return td;
      },
      vis: (i) => el("td", c.v[i])
    });
    return (i) => {
      // The header's order when the row is built: a column moved after load is followed.
      const order = Array.from(thead.rows[0].cells, (th) => th.getAttribute("data-k") || th.getAttribute("data-c") || "");
      const tr = el("tr");
      tr.setAttribute("data-s", c.s[i]);
      if (c.f[i]) tr.setAttribute("data-f", "1");
      for (const key of order) tr.appendChild(cells[key] ? cells[key](i) : el("td"));
      return tr;
    };
  }

  /* The page's columns, or null when they are not what this script reads. */
  function projectData(text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return null;
    }
    if (!data || data.format !== 1 || !data.cols || !data.labels || !Array.isArray(data.cols.p)) return null;
    const n = data.cols.p.length;
    for (const key of "kpxsftodrcmbgv") {
      if (!Array.isArray(data.cols[key]) || data.cols[key].length !== n) return null;
    }
    return data;
  }

  /* Projects table: filter, sort, URL state over every project's columns, embedded in the
     page; the server wrote only the first rows. Each keystroke scans arrays and puts at most
     a page of rows (built once, when first shown) into the table body. */
  function projects() {
    const table = doc.getElementById("projects");
    const form = doc.getElementById("filters");
    const source = doc.getElementById("project-data");
    if (!table || !form || !table.tHead) return;
    if (!source) {
      console.warn("gldash: projects.html has no project-data block; filters are off");
      return;
    }
    const data = projectData(source.textContent);
    if (!data) return; // the server's rows stay, without filters
    const c = data.cols;
    const n = c.p.length;
    const tbody = table.tBodies[0];
    const heads = headers(table);
    const build = rowBuilder(data, table.tHead);
    const built = new Array(n);
    const row = (i) => built[i] || (built[i] = build(i));
    const state = c.s, failing = c.f.map(Boolean), topics = c.g, vis = c.v;
    // What the path cell reads, as the filter and the sort have always matched it.
    const pathText = c.p.map((p, i) => (c.x[i] ? p + " stale" : p));
    const ns = c.p.map((p) => p.slice(0, Math.max(0, p.lastIndexOf("/"))));  // "" without a group
    const hay = pathText.map((p, i) => (p + " " + topics[i].join(" ")).toLowerCase());
    const partial = doc.getElementById("partial");
    if (partial) partial.hidden = true;

    /* Sort keys of every row for one column, by the header's data-sort: "text" compares the
       cell's text, "status" the row's state in the header's data-order with failing default
       branches first; anything else is a number column, where no value sorts below every value. */
    function sortKeys(th) {
      const kind = th.getAttribute("data-sort"), key = th.getAttribute("data-k");
      if (kind === "status") {
        const ranks = (th.getAttribute("data-order") || "").split(" ");
        return state.map((s, i) => (failing[i] ? 0 : ranks.length) + ranks.indexOf(s));
      }
      const texts = Object.assign(Object.create(null), {
        path: pathText, topics: topics.map((t) => t.map((x) => x + " ").join("")), vis: vis
      });
      if (kind === "text") return (texts[key] || pathText).map((t) => t.toLowerCase());
      const columns = Object.assign(Object.create(null), { last: c.t, duration: c.d, success: c.c, mrs: c.m, stale: c.b });
      const numbers = columns[key] || [];
      return state.map((s, i) => (numbers[i] === null || numbers[i] === undefined ? -Infinity : numbers[i]));
    }

    const natural = Array.from({ length: n }, (x, i) => i);
    // `shown` starts as what the server rendered: its first rows, in page order.
    const served = Array.from(tbody.rows);
    let order = natural, sortKey = "", limit = PAGE_STEP, shown = natural.slice(0, served.length);
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
      // Matches are counted, and only the shown ones kept: at 50,000 projects a broad query
      // would otherwise build a 50,000-entry array on every keystroke.
      const next = [];
      let matched = 0, failed = 0;
      for (const i of order) {
        if (q && hay[i].indexOf(q) < 0) continue;
        if (st === "failing" ? !failing[i] : st && state[i] !== st) continue;
        if (g && ns[i] !== g && ns[i].lastIndexOf(gp, 0) !== 0) continue;
        if (tp && topics[i].indexOf(tp) < 0) continue;
        if (v && vis[i] !== v) continue;
        if (matched++ < limit) next.push(i);
        if (failing[i]) failed++;
      }
      const same = next.length === shown.length && next.every((i, s) => i === shown[s]);
      if (!same) {
        const frag = doc.createDocumentFragment();
        for (const i of next) frag.appendChild(row(i));
        tbody.replaceChildren(frag);
        shown = next;
      }
      count.textContent = matched.toLocaleString("en") + " of " + n.toLocaleString("en") +
        " projects match, " + failed.toLocaleString("en") + " failing" +
        (matched > next.length ? "; showing the first " + next.length.toLocaleString("en") : "") + ".";
      more.hidden = matched <= next.length;
      more.textContent = "Show " + Math.min(PAGE_STEP, matched - next.length).toLocaleString("en") + " more";
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
      if (qs === location.search.slice(1)) return;
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
    beforeReload.push(save);
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

  /* Row filters (environments, deployments): a form's data-rows names its table; each field's
     data-by names the row attribute it matches (data-<by>), data-prefix also admits subgroups,
     and data-by="q" searches the row's text. Rows stay in the page: the script only hides. */
  function rowFilters() {
    for (const form of doc.querySelectorAll("form[data-rows]")) {
      form.hidden = false;
      const table = doc.getElementById(form.getAttribute("data-rows"));
      const count = doc.getElementById(form.getAttribute("data-count") || "");
      if (!table || !table.tBodies[0]) continue;
      const noun = form.getAttribute("data-noun") || "rows";
      const rows = Array.from(table.tBodies[0].rows);
      const text = rows.map((r) => r.textContent.toLowerCase());
      const fields = Array.from(form.querySelectorAll("[data-by]"));
      const update = () => {
        const wants = fields.map((f) => ({
          by: f.getAttribute("data-by"),
          prefix: f.hasAttribute("data-prefix"),
          value: f.type === "checkbox" ? (f.checked ? f.value : "") : f.value.trim()
        })).filter((w) => w.value);
        let shown = 0;
        rows.forEach((r, i) => {
          const ok = wants.every((w) => {
            if (w.by === "q") return text[i].indexOf(w.value.toLowerCase()) >= 0;
            const have = r.getAttribute("data-" + w.by) || "";
            return have === w.value || (w.prefix && have.startsWith(w.value + "/"));
          });
          if (r.hidden === ok) r.hidden = !ok;
          if (ok) shown++;
        });
        if (count) count.textContent = shown.toLocaleString("en") + " of " + rows.length.toLocaleString("en") + " " + noun + " shown.";
      };
      form.addEventListener("input", update);
      form.addEventListener("change", update);
      form.addEventListener("submit", (ev) => ev.preventDefault());
      form.addEventListener("reset", () => setTimeout(update, 0));
    }
  }

  // An age as gldash_static/render/text.py `age` writes it (5 min, 3 h, 12 d): keep in step.
  function age(seconds) {
    if (seconds < 3600) return Math.max(0, Math.floor(seconds / 60)) + " min";
    if (seconds < 172800) return Math.floor(seconds / 3600) + " h";
    return Math.floor(seconds / 86400) + " d";
  }

  /* Durations up to now ("red for 3 d"): the page wrote them as of its snapshot; the visitor's
     clock keeps them true while the page stays open. */
  function since() {
    const times = doc.querySelectorAll("time[data-since]");
    if (!times.length) return;
    const tick = () => {
      for (const t of times) {
        const at = Date.parse(t.getAttribute("datetime") || "");
        if (!isNaN(at)) t.textContent = age((Date.now() - at) / 1000);
      }
    };
    tick();
    setInterval(tick, MINUTE);
  }

  /* "Longest broken first" on request: links [data-order] above a table[data-orders] reorder
     its rows by their data-since (when the red streak began) and keep the choice in ?order=. */
  function orders() {
    const tables = doc.querySelectorAll("table[data-orders]");
    if (!tables.length) return;
    const links = doc.querySelectorAll("a[data-order]");
    const apply = (order) => {
      for (const table of tables) {
        const body = table.tBodies[0];
        if (!body) continue;
        const rows = Array.from(body.rows);
        // The server wrote them newest-broken first; that order breaks ties.
        rows.forEach((row, n) => { if (!row.dataset.n) row.dataset.n = String(n); });
        const at = (row) => parseFloat(row.getAttribute("data-since") || "NaN");
        rows.sort((a, b) => {
          if (order === "longest") {
            const x = at(a), y = at(b);
            if (x !== y) return (isNaN(x) ? Infinity : x) - (isNaN(y) ? Infinity : y);
          }
          return Number(a.dataset.n) - Number(b.dataset.n);
        });
        for (const row of rows) {
          body.appendChild(row);
          // A list cut to its first rows carries each order's own (data-top: n, l or both).
          const top = row.getAttribute("data-top");
          if (top !== null) row.hidden = !top.includes(order === "longest" ? "l" : "n");
        }
      }
      for (const link of links) {
        if (link.getAttribute("data-order") === order) link.setAttribute("aria-current", "true");
        else link.removeAttribute("aria-current");
      }
    };
    for (const link of links) {
      link.addEventListener("click", (ev) => {
        ev.preventDefault();
        const order = link.getAttribute("data-order") || "newest";
        const url = new URL(window.location.href);
        if (order === "newest") url.searchParams.delete("order");
        else url.searchParams.set("order", order);
        history.replaceState(history.state, "", url);
        apply(order);
      });
    }
    const wanted = new URLSearchParams(window.location.search).get("order");
    apply(wanted === "longest" ? "longest" : "newest");
  }

  /* Radiator: ?group= and ?topic= (each repeatable or comma-separated) select tiles, ?q= or the
     filter field narrows them by text; each part and the counts follow what is shown. */
  function radiator() {
    const board = doc.getElementById("wall");
    if (!board) return;
    const params = new URLSearchParams(location.search);
    const list = (name) => params.getAll(name).join(",").split(",").map((v) => v.trim()).filter(Boolean);
    const groups = list("group").map((g) => g.replace(/^\/+|\/+$/g, "")).filter(Boolean);
    const topics = list("topic");
    const tiles = Array.from(board.querySelectorAll(".wtile"));
    const hay = tiles.map((t) => t.textContent.toLowerCase());
    const states = tiles.map((t) => (/(?:^| )s-([a-z]+)/.exec(t.className) || ["", "none"])[1]);
    const picked = tiles.map((tile) => {
      const ns = tile.getAttribute("data-ns") || "";
      const tt = (tile.getAttribute("data-topics") || "").split("\t");
      return (!groups.length || groups.some((g) => ns === g || ns.lastIndexOf(g + "/", 0) === 0)) &&
        (!topics.length || topics.some((t) => tt.indexOf(t) >= 0));
    });
    const label = doc.getElementById("wall-filter");
    const parts = [];
    if (groups.length) parts.push((groups.length > 1 ? "groups " : "group ") + groups.join(", "));
    if (topics.length) parts.push((topics.length > 1 ? "topics " : "topic ") + topics.join(", "));
    if (label) label.textContent = parts.length ? "(" + parts.join("; ") + ")" : "";
    const count = doc.getElementById("wall-count"), ok = doc.getElementById("wall-ok");
    const summary = doc.getElementById("wall-rest-sum");
    const form = doc.getElementById("wall-filters"), q = doc.getElementById("wall-q");
    const sections = Array.from(board.querySelectorAll(".wall-part"));

    function update() {
      const text = q ? q.value.trim().toLowerCase() : "";
      let shown = 0;
      tiles.forEach((tile, i) => {
        const show = picked[i] && (!text || hay[i].indexOf(text) >= 0);
        if (tile.hidden === show) tile.hidden = !show;
        if (show) shown++;
      });
      let failing = 0;
      for (const section of sections) {
        const visible = section.querySelectorAll(".wtile:not([hidden])");
        section.hidden = visible.length === 0;
        const n = section.querySelector(".wall-n");
        if (n) n.textContent = visible.length.toLocaleString("en");
        if (section.id === "wall-failing") failing = visible.length;
      }
      if (ok) ok.hidden = failing > 0;
      if (count) {
        count.textContent = failing.toLocaleString("en") + " failing of " + shown.toLocaleString("en") + " projects.";
        count.classList.toggle("bad", failing > 0);
      }
      if (summary) {
        // In tile order, which is state order (records.STATES), as the page wrote it.
        const byState = new Map();
        const rest = doc.getElementById("wall-rest");
        tiles.forEach((tile, i) => {
          if (tile.hidden || !rest || !rest.contains(tile)) return;
          const seen = byState.get(states[i]);
          if (seen) seen.n++;
          else byState.set(states[i], { n: 1, label: (tile.querySelector(".st") || tile).textContent });
        });
        summary.textContent = Array.from(byState.values(), (s) => s.n.toLocaleString("en") + " " + s.label).join(", ");
      }
    }

    let timer = 0;
    function save() {
      clearTimeout(timer);
      const p = new URLSearchParams(location.search), text = q.value.trim();
      if (text === (p.get("q") || "")) return;  // the URL stays as written
      if (text) p.set("q", text);
      else p.delete("q");
      const qs = p.toString();
      try {
        history.replaceState(null, "", location.pathname + (qs ? "?" + qs : "") + location.hash);
      } catch (e) { /* some file:// contexts refuse; the view still works */ }
    }
    if (form && q) {
      q.value = params.get("q") || "";
      form.addEventListener("input", () => {
        update();
        clearTimeout(timer);
        timer = setTimeout(save, 250);
      });
      form.addEventListener("submit", (ev) => ev.preventDefault());
      beforeReload.push(save);
      form.hidden = false;
    }
    update();
  }

  /* Live enough: every page asks the site's health.json, at most once a minute and only while
     the tab is visible, whether a newer deployment is out. A page then offers to reload; the
     radiator reloads by itself, once the deployment is complete (a Pages deploy may answer 404
     or half a site for a while) and never while someone types. From disk there is nothing to
     ask, and the page stays quiet. */
  const TYPING_MS = 5000;
  const KEEP = "gldash-filters:" + location.pathname;

  function isField(t) {
    const tag = t && t.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || !!(t && t.isContentEditable);
  }

  /* Filter fields whose state the URL does not carry survive a reload in sessionStorage. */
  function keepFilters() {
    const state = {};
    for (const field of doc.querySelectorAll("form input[id], form select[id], form textarea[id]")) {
      if (field.type === "checkbox" || field.type === "radio") state[field.id] = field.checked ? field.value : "";
      else if (field.type !== "button" && field.type !== "submit" && field.type !== "reset") state[field.id] = field.value;
    }
    try {
      sessionStorage.setItem(KEEP, JSON.stringify(state));
    } catch (e) { /* storage off: the URL still holds what it holds */ }
  }

  function restoreFilters() {
    let state = null;
    try {
      state = JSON.parse(sessionStorage.getItem(KEEP) || "null");
      sessionStorage.removeItem(KEEP);
    } catch (e) {
      return [];
    }
    const restored = [];
    if (!state || typeof state !== "object") return restored;
    for (const id of Object.keys(state)) {
      const field = doc.getElementById(id), value = state[id];
      if (!field || !field.form || typeof value !== "string") continue;
      if (field.type === "checkbox" || field.type === "radio") field.checked = value !== "" && field.value === value;
      else field.value = value;
      restored.push(field);
    }
    return restored;
  }

  function reloadPage() {
    for (const hook of beforeReload) hook();
    keepFilters();
    location.reload();
  }

  function live() {
    const fresh = doc.getElementById("freshness"), region = doc.getElementById("live");
    if (!fresh || !region || typeof fetch !== "function") return;
    if (location.protocol !== "http:" && location.protocol !== "https:") return;
    const own = Date.parse(fresh.getAttribute("data-generated-at") || "");
    const healthUrl = fresh.getAttribute("data-health");
    if (isNaN(own) || !healthUrl) return;
    const auto = doc.body.getAttribute("data-page") === "radiator";
    let last = Date.now(), lastKey = -Infinity, timer = 0, waiting = 0, busy = false, done = false;
    doc.addEventListener("keydown", () => { lastKey = Date.now(); }, true);
    const typing = () => isField(doc.activeElement) || Date.now() - lastKey < TYPING_MS;
    const get = (url) => fetch(url, { cache: "no-store", credentials: "same-origin" });

    // The deployment's time, or null: a missing, unfinished or foreign file means "not yet".
    async function latest() {
      const response = await get(healthUrl);
      if (!response.ok) return null;
      const health = await response.json();
      const time = Date.parse(health && typeof health.generated_at === "string" ? health.generated_at : "");
      return isNaN(time) ? null : time;
    }

    // This page as the new deployment serves it, with the script and style it loads: only then
    // is a reload sure not to land on an error page or a page that cannot reload itself again.
    async function complete(time) {
      const url = location.href.split("#")[0];
      const response = await get(url);
      if (!response.ok) return false;
      const html = await response.text();
      const at = /data-generated-at="([^"]*)"/.exec(html);
      // Half a file lacks its end; a page of another deployment carries another time.
      if (!at || Date.parse(at[1]) !== time || html.indexOf("</html>") < 0) return false;
      for (const pattern of [/<script src="([^"]+)"/, /<link rel="stylesheet" href="([^"]+)"/]) {
        const asset = pattern.exec(html);
        if (!asset) continue;  // a restyled page may load none
        const answer = await get(new URL(asset[1].replace(/&amp;/g, "&"), url).href);
        if (!answer.ok) return false;
      }
      return true;
    }

    function say(text, button) {
      const parts = [el("span", text)];
      if (button) {
        const b = el("button", button);
        b.type = "button";
        b.addEventListener("click", reloadPage);
        parts.push(b);
      }
      region.replaceChildren(...parts);
    }

    function reloadWhenIdle() {
      const confirmed = Date.now();
      clearInterval(waiting);
      if (!typing()) return reloadPage();
      say("Newer data is out: this page reloads when you stop typing.");
      waiting = setInterval(() => {
        if (typing()) return;
        clearInterval(waiting);
        // Confirmed a moment ago: reload. Long ago: the next poll confirms it again.
        if (Date.now() - confirmed < 30000) reloadPage();
      }, 1000);
    }

    async function poll() {
      const time = await latest();
      if (time === null || time === own) return;
      if (!auto) {
        if (time < own) return;
        done = true;
        say("A newer version of this page is out (data from " + ago((Date.now() - time) / 3600000) + ").", "Reload");
        return;
      }
      if (await complete(time)) reloadWhenIdle();
    }

    function schedule() {
      clearTimeout(timer);
      if (!done) timer = setTimeout(tick, Math.max(0, last + MINUTE - Date.now()));
    }
    function tick() {
      // A hidden tab asks nothing; becoming visible asks at once when a minute has passed.
      if (done || busy || doc.visibilityState === "hidden") return;
      if (Date.now() - last < MINUTE) return schedule();
      busy = true;
      last = Date.now();
      poll().catch(() => { /* offline, or a deployment half-way: ask again next minute */ }).then(() => {
        busy = false;
        schedule();
      });
    }
    doc.addEventListener("visibilitychange", () => {
      if (doc.visibilityState === "hidden") clearTimeout(timer);
      else tick();
    });
    schedule();
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

  // As gldash_static/thinning.py: every pipeline's job attempts unknown (null).
  function withoutJobs(state) {
    for (const source of Array.isArray(state.sources) ? state.sources : []) {
      for (const project of Array.isArray(source && source.projects) ? source.projects : []) {
        for (const pipeline of Array.isArray(project && project.pipelines) ? project.pipelines : []) {
          if (pipeline && typeof pipeline === "object" && pipeline.jobs != null) pipeline.jobs = null;
        }
      }
    }
    return state;
  }

  async function rebuildSnapshot(link, status) {
    const folder = link.getAttribute("data-archive");
    const index = await gunzipJson(folder + "index.json");
    const rows = index.snapshots.slice().sort((a, b) => (a.time < b.time ? 1 : -1));
    const target = link.getAttribute("data-time");
    let state = null;
    let newer = null;
    for (const row of rows) {
      status.textContent = "rebuilding… " + row.time;
      // The newest is stored whole; the site publishes it once, as snapshot.json.gz.
      const url = row === rows[0] ? link.getAttribute("data-newest") : folder + row.path;
      const body = await gunzipJson(url);
      // A thinned row's patch applies to its newer neighbour without job attempts when that
      // one still has them (gldash_static/archive/chain.py, patch_base).
      if (row.base && row.thinned && !(newer && newer.thinned)) state = withoutJobs(state);
      state = row.base ? applyPatch(state, body.patch) : body;
      newer = row;
      // Published without job attempts: patches to them have nothing to apply to. In place:
      // the states before this one, which share its parts, are not used again.
      if (link.hasAttribute("data-without-jobs")) state = withoutJobs(state);
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
    // Before the views read their fields; each view then follows the restored values.
    const restored = restoreFilters();
    freshness();
    slashFocus();
    projects();
    mergeRequests();
    rowFilters();
    since();
    orders();
    radiator();
    archiveDownloads();
    live();
    for (const field of restored) field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
