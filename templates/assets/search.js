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

function setupChat() {
  const section = document.getElementById("chat");
  if (!section || !location.protocol.startsWith("http")) return;
  section.hidden = false;
  const form = document.getElementById("chat-form");
  const log = document.getElementById("chat-log");
  const input = document.getElementById("chat-message");
  const say = (text, mine) => {
    const div = document.createElement("div");
    div.className = "msg" + (mine ? " me" : "");
    div.textContent = text;
    log.appendChild(div);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    say(message, true);
    input.value = "";
    try {
      const response = await fetch(section.dataset.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message: message, context: {}, recipe_id: null }),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        const detail = typeof data.detail === "string" ? data.detail : "the assistant is not available here";
        say("No answer: " + detail, false);
        return;
      }
      const answer = data.answer || data.reply || data.message || data.response;
      say(typeof answer === "string" ? answer : JSON.stringify(data, null, 2), false);
    } catch (error) {
      say("No answer: the assistant answers only when the catalog is served by `modelyard serve`.", false);
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
