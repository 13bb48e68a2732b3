// Instant search over the prebuilt index (search-index.js), and the assistant when the
// catalog is served by `modelyard serve`. Results are built with textContent only.
"use strict";

const MAX_RESULTS = 50;

function score(entry, words) {
  let total = 0;
  for (const w of words) {
    if (!entry.t.includes(w)) return -1;
    if (entry.id === w) total += 100;
    else if (entry.id.includes(w)) total += 20;
    if (entry.n.toLowerCase().includes(w)) total += 10;
    total += 1;
  }
  return total + (entry.k === "recipe" ? 3 : entry.k === "model" ? 2 : 0);
}

function search(index, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return { hits: [], total: 0 };
  const hits = [];
  for (const entry of index) {
    const s = score(entry, words);
    if (s >= 0) hits.push([s, entry]);
  }
  hits.sort((a, b) => b[0] - a[0] || a[1].id.localeCompare(b[1].id));
  return { hits: hits.slice(0, MAX_RESULTS).map((h) => h[1]), total: hits.length };
}

function showResults(list, status, query, result) {
  list.replaceChildren();
  for (const entry of result.hits) {
    const li = document.createElement("li");
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = entry.k;
    const link = document.createElement("a");
    link.href = "../" + entry.u;
    link.textContent = entry.n;
    const id = document.createElement("div");
    id.className = "small muted mono";
    id.textContent = entry.id + " · " + entry.d;
    li.append(kind, link, id);
    list.appendChild(li);
  }
  if (!query.trim()) status.textContent = "Type to search " + window.MODELYARD_SEARCH.length + " records.";
  else if (!result.total) status.textContent = "Nothing matches “" + query + "”.";
  else status.textContent = result.total + " match" + (result.total === 1 ? "" : "es") +
    (result.total > result.hits.length ? ", showing the best " + result.hits.length : "") + ".";
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// The assistant's answer (docs/chat.md): the reply, the records it is based on (linked
// only to this site's own pages) and the next steps as commands.
function answerElement(data) {
  const box = element("div", "msg");
  const reply = data.reply || data.response || data.answer;
  box.appendChild(element("div", "", typeof reply === "string" ? reply : JSON.stringify(data, null, 2)));
  const refs = Array.isArray(data.references) ? data.references : [];
  if (refs.length) {
    box.appendChild(element("div", "small muted", "Based on:"));
    const list = element("ul", "refs");
    for (const ref of refs) {
      const li = element("li");
      const label = (ref.title || ref.id || "") + (ref.id && ref.title ? " (" + ref.id + ")" : "");
      if (typeof ref.link === "string" && ref.link.startsWith("/model-development/")) {
        const a = element("a", "", label);
        a.href = ref.link;
        li.appendChild(a);
      } else {
        li.textContent = label;
      }
      list.appendChild(li);
    }
    box.appendChild(list);
  }
  const steps = Array.isArray(data.next_steps) ? data.next_steps : [];
  if (steps.length) {
    box.appendChild(element("div", "small muted", "Next steps:"));
    const list = element("ul", "steps");
    for (const step of steps) {
      const li = element("li", "", step.title || "");
      if (step.cli) li.appendChild(element("code", "cmd", step.cli));
      list.appendChild(li);
    }
    box.appendChild(list);
  }
  return box;
}

async function setupChat() {
  const section = document.getElementById("chat");
  if (!section || !location.protocol.startsWith("http")) return;
  // only modelyard serve answers the API itself (a static host has just the .json mirrors);
  // until it has, the page says how to ask instead of offering a box that fails
  const probe = await fetch(section.dataset.api + "recipes?limit=1").catch(() => null);
  const body = probe && probe.ok ? await probe.json().catch(() => null) : null;
  if (!body || !Array.isArray(body.recipes)) return;
  const how = document.getElementById("ask-how");
  if (how) how.hidden = true;
  section.hidden = false;
  const form = document.getElementById("chat-form");
  const log = document.getElementById("chat-log");
  const input = document.getElementById("chat-message");
  let context = {};
  const note = (text, mine) => log.appendChild(element("div", "msg" + (mine ? " me" : ""), text));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    note(message, true);
    input.value = "";
    try {
      const response = await fetch(section.dataset.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message: message, context: context, recipe_id: null }),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        const detail = typeof data.detail === "string" ? data.detail : "the assistant is not available here";
        note("No answer: " + detail, false);
        return;
      }
      if (data.context && typeof data.context === "object") context = data.context;
      log.appendChild(answerElement(data));
    } catch (error) {
      note("No answer: the assistant answers only when the catalog is served by `modelyard serve`.", false);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("q");
  const list = document.getElementById("results");
  const status = document.getElementById("search-status");
  const form = document.getElementById("search-form");
  const index = window.MODELYARD_SEARCH || [];
  const run = () => showResults(list, status, input.value, search(index, input.value));
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) input.value = initial;
  input.addEventListener("input", run);
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  run();
  setupChat();
});
