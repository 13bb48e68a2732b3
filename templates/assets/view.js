// One run, read from its data file (data/runs/<month>/<bucket>.js) and its recipe's rows
// (data/recipes/<id>.js): timing, metrics against every run of the recipe (position 1 is
// the best, whichever way the metric points), the runs around it, artifacts and logs.
"use strict";

(function () {
  const my = window.modelyard;
  const root = document.body.dataset.root || "../";
  const params = new URLSearchParams(location.search);
  const id = params.get("id") || "";
  const month = params.get("m") || "";
  const status = document.getElementById("run-status");
  const NEIGHBOURS = 5;

  function kv(dl, pairs) {
    dl.replaceChildren();
    for (const [k, v] of pairs) { dl.append(my.el("dt", k, "mono"), my.el("dd", v)); }
    if (!pairs.length) dl.append(my.el("dd", "Nothing recorded.", "muted"));
  }

  function flatten(value, prefix, out) {
    if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) {
      for (const [k, v] of Object.entries(value)) flatten(v, prefix ? prefix + "." + k : k, out);
    } else if (prefix) out.push([prefix, typeof value === "string" ? value : JSON.stringify(value)]);
    return out;
  }

  function duration(run) {
    if (!run.started_at || !run.finished_at) return "—";
    const s = Math.round((Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? h + "h " + pad(m) + "m " + pad(r) + "s" : m + "m " + pad(r) + "s";
  }

  function link(text, href, className) {
    const a = my.el("a", text, className);
    a.href = href;
    return a;
  }

  async function start() {
    const index = await my.load("runs/index");
    const run = await my.run(id, month);
    if (!run) { status.textContent = "No run " + id + " in " + (month || "this catalog") + "."; return; }
    document.title = run.id + " · " + document.title.split(" · ").slice(1).join(" · ");
    document.getElementById("run-crumb").textContent = run.id;
    const title = document.getElementById("run-title");
    title.replaceChildren(my.el("span", run.run_type, "cap"), " run ", my.el("span", run.id, "mono small"));
    const meta = document.getElementById("run-meta");
    const recipeName = index.recipes[run.recipe_id];
    const version = (run.recipe_version_id || "").replace(/^.*_v(?=\d)/, "");
    meta.replaceChildren(my.el("span", run.status, "badge b-" + run.status), " of ",
      recipeName ? link(recipeName, root + "recipes/" + run.recipe_id + "/index.html") : my.el("span", run.recipe_id, "missing"), " ",
      recipeName && run.recipe_version_id.startsWith("ver_") ? link(version, root + "recipes/" + run.recipe_id + "/index.html#" + run.recipe_version_id, "mono") : my.el("span", version, "mono"));
    if (run.model_id) {
      meta.append(" for ", index.models[run.model_id] ? link(index.models[run.model_id], root + "models/" + run.model_id + "/index.html") : my.el("span", run.model_id, "missing"));
    }
    kv(document.getElementById("run-timing"), [
      ["Created", my.shortTime(run.created_at) + " UTC"],
      ["Started", run.started_at ? my.shortTime(run.started_at) + " UTC" : "not yet"],
      ["Finished", run.finished_at ? my.shortTime(run.finished_at) + " UTC" : "not yet"],
      ["Duration", duration(run)],
    ]);
    kv(document.getElementById("run-artifacts"), flatten(run.artifacts_json || {}, "", []));
    const recipe = await my.load("recipes/" + run.recipe_id).catch(() => ({ runs: [] }));
    const peers = recipe.runs;
    const body = document.getElementById("run-metrics");
    const names = Object.keys(run.metrics_json || {}).sort();
    for (const name of names) {
      const value = run.metrics_json[name];
      const values = peers.map((r) => r[6][name]).filter((v) => typeof v === "number").sort((a, b) => a - b);
      if (!values.length) values.push(value);
      const lower = index.directions[name] === "lower";
      const better = values.filter((v) => (lower ? v < value : v > value)).length;
      const mid = values.length % 2 ? values[(values.length - 1) / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
      const tr = document.createElement("tr");
      const strong = my.el("td", null, "num"); strong.appendChild(my.el("b", my.fmt(value)));
      tr.append(my.el("td", name, "mono"), strong, my.el("td", values.length, "num"), my.el("td", my.fmt(values[0]), "num"),
        my.el("td", my.fmt(mid), "num"), my.el("td", my.fmt(values[values.length - 1]), "num"),
        my.el("td", lower ? "lower" : "higher"), my.el("td", (better + 1) + " of " + values.length, "num"));
      body.appendChild(tr);
    }
    if (!names.length) body.appendChild(my.el("tr")).appendChild(my.el("td", "No metrics reported.", "muted"));
    const at = Math.max(0, peers.findIndex((r) => r[0] === run.id));
    const windowRows = peers.slice(Math.max(0, at - NEIGHBOURS), at + NEIGHBOURS + 1);
    document.getElementById("run-siblings-note").textContent = "The runs just before and after this one, of " + peers.length + ".";
    const head = document.createElement("tr");
    for (const h of ["Run", "Type", "Status", "Created (UTC)"].concat(names)) {
      const th = my.el("th", h); th.scope = "col"; head.appendChild(th);
    }
    document.getElementById("run-siblings-head").replaceChildren(head);
    const sib = document.getElementById("run-siblings");
    for (const r of windowRows) {
      const tr = document.createElement("tr");
      const cell = document.createElement("td");
      if (r[0] === run.id) { tr.className = "current"; tr.setAttribute("aria-current", "true"); cell.append(my.el("span", r[0], "mono"), " ", my.el("span", "this run", "pill")); }
      else cell.appendChild(link(r[0], index.run_pages ? root + "runs/" + r[0] + "/index.html" : my.viewHref(root, r[0], r[5]), "mono"));
      const st = document.createElement("td"); st.appendChild(my.el("span", r[4], "badge b-" + r[4]));
      tr.append(cell, my.el("td", r[3]), st, my.el("td", my.shortTime(r[5]), "nowrap"));
      for (const n of names) tr.appendChild(my.el("td", n in r[6] ? my.fmt(r[6][n]) : "", "num"));
      sib.appendChild(tr);
    }
    const logs = document.getElementById("run-logs");
    if (run.logs_text) logs.textContent = run.logs_text; else logs.replaceWith(my.el("p", "No logs.", "muted"));
    document.getElementById("run-json").textContent = JSON.stringify(run, null, 2);
    status.hidden = true;
    document.getElementById("run-body").hidden = false;
  }

  start().catch((err) => { status.textContent = "The run could not be loaded: " + err.message; });
})();
