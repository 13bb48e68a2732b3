// The catalog's interactive charts, drawn with uPlot (assets/uplot.min.js, MIT licence).
// A model page's figure[data-chart] holds its numbers as JSON beside its SVG; this draws
// them on a canvas: a time axis in UTC with ticks on calendar dates, a tooltip with the
// value under the cursor, drag across to zoom and double-click to zoom out, the
// thresholds drawn and labelled in their own colour and dash (warn amber dashed, alert red
// solid, min dotted, max dash-dot) and the points past one ringed in its colour. The
// comparison page calls overlay() for its runs. The SVG stays in the page for print and
// for readers without JavaScript. Every text is set with textContent.
"use strict";

(function () {
  const instances = [];
  const DASH = { warn: [6, 4], alert: [], min: [2, 3], max: [9, 3, 2, 3] };
  // the one a point shows when it is past several: the most severe
  const SEVERITY = ["alert", "max", "min", "warn"];
  const DAY = 86400, HOUR = 3600;
  // uPlot's time ticks: [step, label, label when the year changes, month, day, ...]
  const TIME_VALUES = [
    [365 * DAY, "{YYYY}", null, null, null, null, null, null, 1],
    [28 * DAY, "{MMM}", "\n{YYYY}", null, null, null, null, null, 1],
    [DAY, "{MMM} {D}", "\n{YYYY}", null, null, null, null, null, 1],
    [HOUR, "{HH}:{mm}", "\n{YYYY}-{MM}-{DD}", null, "\n{MMM} {D}", null, null, null, 1],
    [60, "{HH}:{mm}", "\n{YYYY}-{MM}-{DD}", null, "\n{MMM} {D}", null, null, null, 1],
    [1, "{HH}:{mm}:{ss}", "\n{YYYY}-{MM}-{DD}", null, "\n{MMM} {D}", null, null, null, 1],
  ];

  function palette() {
    const css = getComputedStyle(document.documentElement);
    const get = (name) => css.getPropertyValue(name).trim();
    const narrow = window.matchMedia("(max-width: 600px)").matches;
    return {
      text: get("--text"), muted: get("--muted"), line: get("--line"), surface: get("--surface"),
      series: get("--series"),
      kinds: { warn: get("--warn"), alert: get("--bad"), min: get("--info"), max: get("--accent") },
      runs: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => get("--c" + i)),
      family: getComputedStyle(document.body).fontFamily,
      size: narrow ? 13 : 12,
      height: narrow ? 220 : 240,
    };
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  // the same as modelyard.site.charts.fmt_number
  function fmt(value) {
    if (typeof value !== "number") return "";
    if (value === 0) return "0";
    const abs = Math.abs(value);
    return abs >= 1000 || abs < 0.001 ? value.toPrecision(3) : String(Number(value.toPrecision(4)));
  }

  function when(seconds) {
    return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function axis(p, extra) {
    return Object.assign({
      stroke: p.muted, font: p.size + "px " + p.family,
      grid: { stroke: p.line, width: 1 }, ticks: { stroke: p.line, width: 1 },
    }, extra);
  }

  // the threshold a value is past (warn and alert: at or above; max: above; min: below)
  function crossed(value, thresholds) {
    const past = thresholds.filter((t) =>
      t.kind === "min" ? value < t.value : t.kind === "max" ? value > t.value : value >= t.value);
    past.sort((a, b) => SEVERITY.indexOf(a.kind) - SEVERITY.indexOf(b.kind));
    return past[0] || null;
  }

  // A tooltip inside the plot's overlay, next to the point it tells about.
  function tooltip(u, lines, x, y) {
    let tip = u.over.querySelector(".chart-tip");
    if (!tip) {
      tip = el("div", null, "chart-tip");
      tip.setAttribute("aria-hidden", "true");
      u.over.appendChild(tip);
    }
    if (!lines) { tip.hidden = true; return; }
    tip.replaceChildren(...lines);
    tip.hidden = false;
    const w = tip.offsetWidth, h = tip.offsetHeight;
    const left = x + 12 + w > u.over.clientWidth ? Math.max(0, x - 12 - w) : x + 12;
    const top = Math.min(Math.max(0, y - h / 2), Math.max(0, u.over.clientHeight - h));
    tip.style.transform = "translate(" + Math.round(left) + "px," + Math.round(top) + "px)";
  }

  function drawThresholds(u, thresholds, p) {
    const ctx = u.ctx, r = uPlot.pxRatio, box = u.bbox;
    const labels = [];
    ctx.save();
    for (const t of thresholds) {
      const y = Math.round(u.valToPos(t.value, "y", true)) + 0.5;
      if (y < box.top || y > box.top + box.height) continue;
      const colour = p.kinds[t.kind];
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.6 * r;
      ctx.setLineDash(DASH[t.kind].map((d) => d * r));
      ctx.beginPath();
      ctx.moveTo(box.left, y);
      ctx.lineTo(box.left + box.width, y);
      ctx.stroke();
      labels.push({ y, colour, text: t.label + " " + fmt(t.value) });
    }
    // each label just above its line, or below it when another label is already there
    ctx.setLineDash([]);
    ctx.font = "600 " + Math.round(p.size * r) + "px " + p.family;
    ctx.textAlign = "right";
    const taken = [];
    for (const label of labels.sort((a, b) => a.y - b.y)) {
      let y = label.y - 5 * r;
      if (taken.some((t) => Math.abs(t - y) < (p.size + 2) * r)) y = label.y + (p.size + 3) * r;
      taken.push(y);
      const x = box.left + box.width - 4 * r;
      ctx.lineWidth = 3 * r;
      ctx.strokeStyle = p.surface;
      ctx.strokeText(label.text, x, y);
      ctx.fillStyle = label.colour;
      ctx.fillText(label.text, x, y);
    }
    ctx.restore();
  }

  function ringCrossings(u, data, p) {
    if (!data.thresholds.length) return;
    const ctx = u.ctx, r = uPlot.pxRatio, box = u.bbox;
    ctx.save();
    ctx.lineWidth = 2.2 * r;
    for (let i = 0; i < data.t.length; i++) {
      const past = crossed(data.v[i], data.thresholds);
      const x = u.valToPos(data.t[i], "x", true);
      if (!past || x < box.left || x > box.left + box.width) continue;
      ctx.strokeStyle = p.kinds[past.kind];
      ctx.beginPath();
      ctx.arc(x, u.valToPos(data.v[i], "y", true), 7 * r, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
  }

  // Arrow keys, Home and End move the cursor from point to point (the tooltip follows, and
  // a live region reads it out); Escape or leaving the chart hides it.
  function keys(entry, count, where) {
    const { holder } = entry;
    const said = el("p", null, "visually-hidden");
    said.setAttribute("aria-live", "polite");
    holder.after(said);
    holder.tabIndex = 0;
    let at = -1;
    const hide = () => { at = -1; entry.u.setCursor({ left: -10, top: -10 }); said.textContent = ""; };
    holder.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: at + 1, ArrowLeft: at < 0 ? count - 1 : at - 1, Home: 0, End: count - 1 };
      if (event.key === "Escape") { hide(); return; }
      if (!(event.key in moves)) return;
      event.preventDefault();
      at = Math.min(count - 1, Math.max(0, moves[event.key]));
      const [left, top] = where(entry.u, at);
      entry.u.setCursor({ left, top });
      const tip = entry.u.over.querySelector(".chart-tip");
      said.textContent = tip ? Array.from(tip.children, (c) => c.textContent).join(", ") : "";
    });
    holder.addEventListener("blur", hide);
  }

  // An entry of `instances`: its uPlot as `u`, made again by `make` (in the other palette),
  // and as wide as its holder whatever the window does.
  function keep(figure, holder, make) {
    const entry = { figure, holder, make, u: make() };
    let width = holder.clientWidth;
    new ResizeObserver(() => {
      if (holder.clientWidth && holder.clientWidth !== width) {
        width = holder.clientWidth;
        entry.u.setSize({ width, height: entry.u.height });
      }
    }).observe(holder);
    instances.push(entry);
    return entry;
  }

  // One metric over time: a model page's figure[data-chart].
  function timeChart(figure) {
    const data = JSON.parse(figure.querySelector("script.chart-data").textContent);
    const svg = figure.querySelector("svg.fallback");
    const holder = el("div", null, "plot");
    holder.setAttribute("role", "img");
    if (svg) holder.setAttribute("aria-labelledby", svg.getAttribute("aria-labelledby"));
    (svg || figure.firstChild).after(holder);
    figure.classList.add("live");
    const levels = data.thresholds.map((t) => t.value);
    const make = () => {
      const p = palette();
      const opts = {
        width: holder.clientWidth, height: p.height,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
        legend: { show: false },
        cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 9 } },
        scales: {
          // a little room either side, so the first and last points are not on the edge
          // (one moment: half a day either side; uPlot's own widening of a single time
          // counts in milliseconds, a thousand days for seconds)
          x: { time: true, range: (self, min, max) => {
            const first = data.t[0], last = data.t[data.t.length - 1];
            if (first === last) return [first - DAY / 2, first + DAY / 2];
            const pad = (max - min) * 0.03;
            return [min - pad, max + pad];
          } },
          y: {
            range: (self, min, max) => {
              const lo = Math.min(min === null ? Infinity : min, ...levels);
              const hi = Math.max(max === null ? -Infinity : max, ...levels);
              return uPlot.rangeNum(lo, hi, 0.1, true);
            },
          },
        },
        axes: [
          axis(p, { values: TIME_VALUES, space: 64, size: 48 }),
          axis(p, { values: (self, splits) => splits.map(fmt), size: 56, label: data.label, labelSize: p.size + 8, labelFont: p.size + "px " + p.family }),
        ],
        series: [
          { value: (self, v) => (v === null ? "" : when(v)) },
          { label: data.label, stroke: p.series, width: 2.2, points: { show: true, size: 7, fill: p.series, stroke: p.series } },
        ],
        hooks: {
          draw: [(u) => { drawThresholds(u, data.thresholds, p); ringCrossings(u, data, p); }],
          setCursor: [(u) => {
            const i = u.cursor.idx;
            if (i === null || i === undefined || u.cursor.left < 0) { tooltip(u, null); return; }
            const past = crossed(data.v[i], data.thresholds);
            const lines = [el("div", when(data.t[i]), "tip-time"), el("div", data.label + " " + fmt(data.v[i]), "tip-value")];
            if (past) lines.push(el("div", (past.kind === "min" ? "below " : "past ") + past.label + " " + fmt(past.value), "tip-" + past.kind));
            tooltip(u, lines, u.valToPos(data.t[i], "x"), u.valToPos(data.v[i], "y"));
          }],
        },
      };
      return new uPlot(opts, [data.t, data.v], holder);
    };
    const entry = keep(figure, holder, make);
    keys(entry, data.t.length, (u, i) => [u.valToPos(data.t[i], "x"), u.valToPos(data.v[i], "y")]);
    return entry;
  }

  // The comparison's overlay: one line per run across the metrics, each metric scaled from
  // the worst of these runs (bottom) to the best (top) in its own direction, so "up" is
  // always better; the tooltip gives every run's value and its difference from the first.
  function overlay(target, runs, names, directions) {
    const lower = (name) => directions[name] === "lower";
    const score = (run, name) => {
      const v = run.metrics[name];
      if (typeof v !== "number") return null;
      const values = runs.map((r) => r.metrics[name]).filter((x) => typeof x === "number");
      const lo = Math.min(...values), hi = Math.max(...values);
      if (hi === lo) return 1;
      const t = (v - lo) / (hi - lo);
      return lower(name) ? 1 - t : t;
    };
    const holder = el("div", null, "plot");
    holder.setAttribute("role", "img");
    holder.setAttribute("aria-label", "Metrics of " + runs.length + " runs, each scaled from the worst of these runs (bottom) to the best (top)");
    target.replaceChildren(holder);
    target.classList.add("live");
    const xs = names.map((_, i) => i);
    const make = () => {
      const p = palette();
      const perMetric = holder.clientWidth / Math.max(names.length, 1);
      const every = Math.max(1, Math.ceil(70 / perMetric));
      const label = (i) => (i % every ? "" : names[i] + (perMetric >= 110 ? "\n" + (lower(names[i]) ? "lower is better" : "higher is better") : ""));
      const opts = {
        width: holder.clientWidth, height: p.height + 20,
        legend: { show: false },
        cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 11 } },
        scales: { x: { time: false, range: [-0.5, names.length - 0.5] }, y: { range: [-0.1, 1.1] } },
        axes: [
          axis(p, { splits: () => xs, values: (self, splits) => splits.map(label), size: 52, grid: { show: false } }),
          axis(p, { splits: () => [0, 1], values: (self, splits) => splits.map((v) => (v === 1 ? "best" : "worst")), size: 52 }),
        ],
        series: [{}].concat(runs.map((run, k) => ({
          label: run.id, stroke: p.runs[k % p.runs.length], width: 2.5,
          points: { show: true, size: 9, fill: p.runs[k % p.runs.length], stroke: p.runs[k % p.runs.length] },
        }))),
        hooks: {
          setCursor: [(u) => {
            const i = u.cursor.idx;
            if (i === null || i === undefined || u.cursor.left < 0) { tooltip(u, null); return; }
            const name = names[i];
            const lines = [el("div", name + " (" + (lower(name) ? "lower" : "higher") + " is better)", "tip-time")];
            const base = runs[0].metrics[name];
            const present = runs.map((r) => r.metrics[name]).filter((v) => typeof v === "number");
            const best = lower(name) ? Math.min(...present) : Math.max(...present);
            runs.forEach((run, k) => {
              const v = run.metrics[name];
              const row = el("div", null, "tip-run");
              row.append(el("span", null, "swatch c" + (k % 8)), el("span", run.id + " ", "mono"), el("b", typeof v === "number" ? fmt(v) : "—"));
              if (typeof v === "number" && v === best && present.length > 1) row.append(" ", el("span", "best", "tip-best"));
              if (k > 0 && typeof v === "number" && typeof base === "number" && v !== base) {
                const better = lower(name) ? v < base : v > base;
                row.append(" ", el("span", (v > base ? "+" : "") + fmt(v - base) + (better ? " better" : " worse"), better ? "ok-text" : "bad-text"));
              }
              lines.push(row);
            });
            tooltip(u, lines, u.valToPos(i, "x"), u.cursor.top);
          }],
        },
      };
      const data = [xs].concat(runs.map((run) => names.map((name) => score(run, name))));
      return new uPlot(opts, data, holder);
    };
    const entry = keep(target, holder, make);
    keys(entry, names.length, (u, i) => [u.valToPos(i, "x"), u.bbox.height / uPlot.pxRatio / 2]);
    return entry;
  }

  // light and dark: drawn again in the other palette when the reader's scheme changes
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    for (const entry of instances) {
      entry.u.destroy();
      entry.u = entry.make();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("figure[data-chart]").forEach(timeChart);
  });

  // for scripts and tests: every chart of the page, each entry's uPlot as `u`
  window.modelyardCharts = { instances, overlay, timeChart, fmt };
})();
