// The runs explorer: every run of the registry from the data files (one of rows per month,
// or one per recipe when the view is of a recipe), filtered, sorted and paged in the page.
// The state is in the address (?recipe=&status=&page=...), so a view can be linked.
"use strict";

(function () {
  const my = window.modelyard;
  const PAGE = 50;
  const root = document.body.dataset.root || "../";
  const form = document.getElementById("runs-filters");
  const body = document.getElementById("runs-body");
  const status = document.getElementById("runs-status");
  const pager = document.getElementById("runs-pager");
  const compare = document.getElementById("runs-compare");
  const metricSelect = form.elements.metric;
  const selected = new Map(); // id -> month
  let index = null;
  let rows = [];
  let loading = true;
  let loadedMonths = 0;

  const params = new URLSearchParams(location.search);
  for (const name of ["q", "recipe", "model", "run_type", "status", "month", "sort", "metric"]) {
    if (params.has(name) && form.elements[name]) form.elements[name].value = params.get(name);
  }
  let page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);

  function option(select, value, label) {
    const node = document.createElement("option");
    node.value = value;
    node.textContent = label || value;
    select.appendChild(node);
  }

  function state() {
    const f = form.elements;
    return {
      q: f.q.value.trim().toLowerCase(), recipe: f.recipe.value.trim(), model: f.model.value.trim(),
      run_type: f.run_type.value, status: f.status.value, month: f.month.value,
      sort: f.sort.value, metric: f.metric.value,
    };
  }

  function matches(row, s) {
    if (s.recipe && row[1] !== s.recipe) return false;
    if (s.model && row[2] !== s.model) return false;
    if (s.run_type && row[3] !== s.run_type) return false;
    if (s.status && row[4] !== s.status) return false;
    if (s.month && row[5].slice(0, 7) !== s.month) return false;
    if (s.metric && !(s.metric in row[6])) return false;
    if (s.q) {
      const text = (row[0] + " " + row[1] + " " + (row[2] || "") + " " +
        (index.recipes[row[1]] || "") + " " + (index.models[row[2]] || "")).toLowerCase();
      if (!s.q.split(/\s+/).every((w) => text.includes(w))) return false;
    }
    return true;
  }

  function sorter(s) {
    if (s.sort === "oldest") return (a, b) => a[5].localeCompare(b[5]) || a[0].localeCompare(b[0]);
    if (s.sort === "best" && s.metric) {
      const lower = index.directions[s.metric] === "lower";
      return (a, b) => (lower ? a[6][s.metric] - b[6][s.metric] : b[6][s.metric] - a[6][s.metric]) || b[5].localeCompare(a[5]);
    }
    return (a, b) => b[5].localeCompare(a[5]) || b[0].localeCompare(a[0]);
  }

  function href(row) {
    return index.run_pages ? root + "runs/" + row[0] + "/index.html" : my.viewHref(root, row[0], row[5]);
  }

  function updateAddress(s) {
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries(s)) if (v && !(k === "sort" && v === "newest")) next.set(k, k === "q" ? form.elements.q.value.trim() : v);
    if (page > 1) next.set("page", String(page));
    const query = next.toString();
    history.replaceState(null, "", query ? "?" + query : location.pathname);
  }

  function render() {
    const s = state();
    const found = rows.filter((r) => matches(r, s)).sort(sorter(s));
    const pages = Math.max(1, Math.ceil(found.length / PAGE));
    if (page > pages) page = pages;
    const shown = found.slice((page - 1) * PAGE, page * PAGE);
    body.replaceChildren();
    const metricName = s.metric;
    document.getElementById("metric-head").textContent = metricName ? metricName + (index.directions[metricName] === "lower" ? " (lower is better)" : " (higher is better)") : "Metrics";
    for (const row of shown) {
      const tr = document.createElement("tr");
      const pick = document.createElement("td");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = selected.has(row[0]);
      box.setAttribute("aria-label", "compare " + row[0]);
      box.addEventListener("change", () => {
        if (box.checked) selected.set(row[0], row[5].slice(0, 7)); else selected.delete(row[0]);
        updateCompare();
      });
      pick.appendChild(box);
      const idCell = document.createElement("td");
      const link = my.el("a", row[0], "mono");
      link.href = href(row);
      idCell.appendChild(link);
      const recipeCell = document.createElement("td");
      const recipeLink = my.el("a", index.recipes[row[1]] || row[1]);
      recipeLink.href = root + "recipes/" + row[1] + "/index.html";
      recipeCell.appendChild(index.recipes[row[1]] ? recipeLink : my.el("span", row[1], "missing"));
      const modelCell = document.createElement("td");
      if (row[2] && index.models[row[2]]) {
        const modelLink = my.el("a", index.models[row[2]]);
        modelLink.href = root + "models/" + row[2] + "/index.html";
        modelCell.appendChild(modelLink);
      } else modelCell.appendChild(my.el("span", row[2] || "none", "muted"));
      const statusCell = document.createElement("td");
      statusCell.appendChild(my.el("span", row[4], "badge b-" + row[4]));
      const metrics = my.el("td", null, "small");
      const names = metricName ? [metricName] : Object.keys(row[6]).slice(0, 4);
      for (const n of names) {
        const m = my.el("span", null, "metric");
        m.append(metricName ? "" : n + " ", my.el("b", my.fmt(row[6][n])));
        metrics.appendChild(m);
      }
      tr.append(pick, idCell, my.el("td", row[3]), statusCell, recipeCell, modelCell,
        my.el("td", my.shortTime(row[5]), "nowrap"), metrics);
      body.appendChild(tr);
    }
    const of = loading ? " (loaded " + loadedMonths + " of " + index.months.length + " months)" : "";
    status.textContent = found.length
      ? "Runs " + ((page - 1) * PAGE + 1) + " to " + ((page - 1) * PAGE + shown.length) + " of " + found.length + " matching" + of + "."
      : (loading ? "Loading runs…" + of : "No run matches these filters.");
    pager.replaceChildren();
    const prev = my.el("button", "Previous"); prev.type = "button"; prev.disabled = page <= 1;
    prev.addEventListener("click", () => { page--; render(); });
    const next = my.el("button", "Next"); next.type = "button"; next.disabled = page >= pages;
    next.addEventListener("click", () => { page++; render(); });
    pager.append(prev, my.el("span", "Page " + page + " of " + pages, "small"), next);
    updateAddress(s);
  }

  function updateCompare() {
    compare.replaceChildren();
    if (selected.size < 2) {
      compare.appendChild(my.el("span", selected.size ? "Pick one more run to compare." : "Tick two or more runs to compare them.", "small muted"));
      return;
    }
    const link = my.el("a", "Compare " + selected.size + " runs", "button-link");
    const query = new URLSearchParams();
    for (const [id, month] of selected) query.append("run", id + "@" + month);
    link.href = "compare.html?" + query.toString();
    compare.appendChild(link);
  }

  async function start() {
    index = await my.load("runs/index");
    for (const t of index.facets.run_type) option(form.elements.run_type, t);
    for (const t of index.facets.status) option(form.elements.status, t);
    for (const m of index.months) option(form.elements.month, m.month, m.month + " (" + m.runs + ")");
    for (const name of Object.keys(index.directions)) option(metricSelect, name);
    for (const name of ["run_type", "status", "month", "metric"]) {
      if (params.has(name)) form.elements[name].value = params.get(name);
    }
    form.addEventListener("input", () => { page = 1; render(); });
    form.addEventListener("submit", (e) => { e.preventDefault(); render(); });
    updateCompare();
    const recipe = params.get("recipe");
    if (recipe && index.recipes[recipe]) {
      // a recipe's own file first: its runs show at once, the rest loads behind them
      rows = (await my.load("recipes/" + recipe)).runs;
      render();
    }
    let all = [];
    for (const m of index.months) {
      all = all.concat(await my.load("runs/" + m.month + "/rows"));
      loadedMonths++;
      if (!(recipe && index.recipes[recipe]) || loadedMonths === index.months.length) rows = all;
      if (loadedMonths === 1 || loadedMonths % 4 === 0) render();
    }
    loading = false;
    render();
  }

  start().catch((err) => { status.textContent = "The runs could not be loaded: " + err.message; });
})();
