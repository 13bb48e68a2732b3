// The comparison view: ?run=<id>@<month>&run=... Every metric of every run side by side,
// the best of each metric marked, differences from the first run told as better or worse
// in the metric's own direction, and an overlay of all runs over the metrics (SVG built
// with createElementNS and textContent).
"use strict";

(function () {
  const my = window.modelyard;
  const root = document.body.dataset.root || "../";
  const status = document.getElementById("compare-status");
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"];

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function overlay(runs, names, index) {
    const figure = document.getElementById("compare-chart");
    const w = Math.max(320, 120 * names.length), h = 260, left = 40, right = 40, top = 24, bottom = 48;
    const box = svg("svg", { viewBox: "0 0 " + w + " " + h, role: "img", "aria-labelledby": "overlay-title" });
    box.appendChild(svg("title", { id: "overlay-title" }, "Metrics of " + runs.length + " runs, scaled from worst to best"));
    const x = (i) => left + (names.length === 1 ? (w - left - right) / 2 : (i * (w - left - right)) / (names.length - 1));
    const y = (t) => top + (1 - t) * (h - top - bottom);
    names.forEach((name, i) => {
      box.appendChild(svg("line", { x1: x(i), x2: x(i), y1: y(0), y2: y(1), class: "axis" }));
      box.appendChild(svg("text", { x: x(i), y: h - 28, "text-anchor": "middle", class: "tick" }, name));
      box.appendChild(svg("text", { x: x(i), y: h - 12, "text-anchor": "middle", class: "tick small" }, index.directions[name] === "lower" ? "lower is better" : "higher is better"));
    });
    box.appendChild(svg("text", { x: 4, y: y(1) + 4, class: "tick" }, "best"));
    box.appendChild(svg("text", { x: 4, y: y(0) + 4, class: "tick" }, "worst"));
    runs.forEach((run, r) => {
      const points = [];
      names.forEach((name, i) => {
        const values = runs.map((x2) => x2.metrics_json[name]).filter((v) => typeof v === "number");
        const v = run.metrics_json[name];
        if (typeof v !== "number") return;
        const lo = Math.min(...values), hi = Math.max(...values);
        let t = hi === lo ? 1 : (v - lo) / (hi - lo);
        if (index.directions[name] === "lower") t = hi === lo ? 1 : 1 - t;
        points.push([x(i), y(t), name, v]);
      });
      const g = svg("g", { class: "series " + COLOURS[r % COLOURS.length] });
      if (points.length > 1) g.appendChild(svg("polyline", { points: points.map((p) => p[0] + "," + p[1]).join(" ") }));
      for (const p of points) {
        const dot = svg("circle", { cx: p[0], cy: p[1], r: 5, tabindex: 0 });
        dot.appendChild(svg("title", {}, run.id + ": " + p[2] + " " + my.fmt(p[3])));
        g.appendChild(dot);
      }
      box.appendChild(g);
    });
    const legend = my.el("ul", null, "legend");
    runs.forEach((run, r) => {
      const li = my.el("li");
      li.append(my.el("span", null, "swatch " + COLOURS[r % COLOURS.length]), my.el("span", run.id, "mono"));
      legend.appendChild(li);
    });
    figure.replaceChildren(box, legend);
  }

  async function start() {
    const wanted = new URLSearchParams(location.search).getAll("run").map((v) => v.split("@"));
    const index = await my.load("runs/index");
    const runs = (await Promise.all(wanted.map(([id, month]) => my.run(id, month || "")))).filter(Boolean);
    if (runs.length < 1) { status.textContent = "Pick runs to compare in the runs explorer."; return; }
    const names = [...new Set(runs.flatMap((r) => Object.keys(r.metrics_json || {})))].sort();
    const head = document.createElement("tr");
    head.appendChild(Object.assign(my.el("th", "Metric"), { scope: "col" }));
    runs.forEach((run, i) => {
      const th = document.createElement("th");
      th.scope = "col";
      const a = my.el("a", run.id, "mono");
      a.href = index.run_pages ? root + "runs/" + run.id + "/index.html" : my.viewHref(root, run.id, run.created_at);
      th.append(a, my.el("div", run.run_type + " · " + run.status + (i === 0 ? " · baseline" : ""), "small muted"));
      head.appendChild(th);
    });
    document.getElementById("compare-head").replaceChildren(head);
    const body = document.getElementById("compare-body");
    const rows = [["recipe", (r) => index.recipes[r.recipe_id] || r.recipe_id], ["model", (r) => index.models[r.model_id] || r.model_id || "none"], ["created (UTC)", (r) => my.shortTime(r.created_at)]];
    for (const [label, get] of rows) {
      const tr = document.createElement("tr");
      tr.appendChild(Object.assign(my.el("th", label), { scope: "row" }));
      const first = get(runs[0]);
      runs.forEach((run) => { const v = get(run); tr.appendChild(my.el("td", v, v !== first ? "differs" : "")); });
      body.appendChild(tr);
    }
    for (const name of names) {
      const lower = index.directions[name] === "lower";
      const tr = document.createElement("tr");
      const th = Object.assign(my.el("th", null), { scope: "row" });
      th.append(my.el("span", name, "mono"), my.el("div", lower ? "lower is better" : "higher is better", "small muted"));
      tr.appendChild(th);
      const values = runs.map((r) => r.metrics_json[name]);
      const present = values.filter((v) => typeof v === "number");
      const best = present.length ? (lower ? Math.min(...present) : Math.max(...present)) : null;
      values.forEach((v, i) => {
        const td = my.el("td", null, "num");
        if (typeof v !== "number") { td.append(my.el("span", "—", "muted")); tr.appendChild(td); return; }
        td.appendChild(my.el("b", my.fmt(v)));
        if (v === best && present.length > 1) { td.classList.add("best"); td.append(" ", my.el("span", "best", "badge b-best")); }
        const base = values[0];
        if (i > 0 && typeof base === "number" && v !== base) {
          const better = lower ? v < base : v > base;
          const pct = base !== 0 ? " (" + (v > base ? "+" : "") + ((100 * (v - base)) / Math.abs(base)).toFixed(1) + "%)" : "";
          td.appendChild(my.el("div", (v > base ? "+" : "") + my.fmt(v - base) + pct + " · " + (better ? "better" : "worse"), "small " + (better ? "ok-text" : "bad-text")));
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
    overlay(runs, names, index);
    status.textContent = runs.length + " runs, " + names.length + " metrics.";
  }

  start().catch((err) => { status.textContent = "The runs could not be loaded: " + err.message; });
})();
