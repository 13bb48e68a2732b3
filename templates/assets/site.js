// Sortable and filterable tables. Everything is read from the DOM and written with
// textContent, so no registry value is ever parsed as HTML.
"use strict";

function cellValue(row, index) {
  const cell = row.cells[index];
  if (!cell) return "";
  return cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
}

function compareVersions(a, b) {
  const pa = a.split(".").map(Number), pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((pa[i] || 0) !== (pb[i] || 0)) return (pa[i] || 0) - (pb[i] || 0);
  }
  return 0;
}

function setupSorting(table) {
  const body = table.tBodies[0];
  table.querySelectorAll("th button[data-sort]").forEach((button) => {
    button.addEventListener("click", () => {
      const th = button.closest("th");
      const index = Number(button.dataset.sort);
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th[aria-sort]").forEach((h) => h.setAttribute("aria-sort", "none"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const kind = button.dataset.kind;
      const rows = Array.from(body.rows);
      rows.sort((x, y) => {
        const a = cellValue(x, index), b = cellValue(y, index);
        const order = kind === "version" ? compareVersions(a, b) : a.localeCompare(b, undefined, { numeric: true });
        return ascending ? order : -order;
      });
      rows.forEach((row) => body.appendChild(row));
    });
  });
}

function setupFilters(box) {
  const table = document.getElementById(box.dataset.filters);
  if (!table) return;
  const rows = Array.from(table.tBodies[0].rows);
  const text = box.querySelector("[data-filter-text]");
  const selects = Array.from(box.querySelectorAll("select[data-filter]"));
  const shown = box.querySelector(".shown");
  const apply = () => {
    const words = (text ? text.value : "").toLowerCase().split(/\s+/).filter(Boolean);
    let count = 0;
    rows.forEach((row) => {
      const haystack = row.textContent.toLowerCase();
      let visible = words.every((w) => haystack.includes(w));
      selects.forEach((select) => {
        if (!select.value) return;
        const key = select.dataset.filter;
        const values = (row.dataset[key] || "").split("\n");
        if (!values.includes(select.value)) visible = false;
      });
      row.hidden = !visible;
      if (visible) count++;
    });
    if (shown) shown.textContent = `Showing ${count} of ${rows.length}`;
  };
  if (text) text.addEventListener("input", apply);
  selects.forEach((s) => s.addEventListener("change", apply));
  apply();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table[data-table]").forEach(setupSorting);
  document.querySelectorAll("[data-filters]").forEach(setupFilters);
});
