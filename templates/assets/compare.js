// The comparison view: ?run=<id>@<month>&run=... Every metric of every run side by side,
// the best of each metric marked, differences from the first run told as better or worse
// in the metric's own direction, and an overlay of all runs over the metrics (a uPlot
// chart made by assets/charts.js, its tooltip giving each run's value and difference).
"use strict";

(function () {
  const my = window.modelyard;
  const root = document.body.dataset.root || "../";
  const status = document.getElementById("compare-status");
  const COLOURS = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"];

  // the overlay is drawn by assets/charts.js (uPlot); its legend names each run's colour
  function overlay(runs, names, index) {
    const figure = document.getElementById("compare-chart");
    if (!names.length) { figure.replaceChildren(my.el("p", "None of these runs reported a metric.", "muted")); return; }
    const picked = runs.map((run) => ({ id: run.id, metrics: run.metrics_json || {} }));
    window.modelyardCharts.overlay(figure, picked, names, index.directions);
    const legend = my.el("ul", null, "legend");
    runs.forEach((run, r) => {
      const li = my.el("li");
      li.append(my.el("span", null, "swatch " + COLOURS[r % COLOURS.length]), my.el("span", run.id + (r === 0 ? " (baseline)" : ""), "mono"));
      legend.appendChild(li);
    });
    figure.appendChild(legend);
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
