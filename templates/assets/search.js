// Search over the chunked index (data/search/: docs.js, and t-<c>.js per first character
// of a term), and the assistant when the catalog is served by `modelyard serve`. MiniSearch
// (assets/minisearch.js) matches each word of the query against the terms of its chunk, by
// prefix and by spelling; records are ranked by how well and how many words matched, and
// the matched words are highlighted. Everything is built with textContent only.
"use strict";

const MAX_RESULTS = 50;
const KIND_BONUS = { recipe: 0.3, model: 0.2, run: 0 };

function queryWords(query) {
  const lowered = query.toLowerCase();
  const words = lowered.match(/[a-z0-9]+/g) || [];
  for (const whole of lowered.match(/[a-z0-9_]+/g) || []) {
    if (whole.replace(/^_+|_+$/g, "").includes("_")) words.push(whole);
  }
  return [...new Set(words)];
}

// within 1 edit from 5 letters, 2 from 8: "freshmrt" finds "freshmart", "acme" stays exact
function maxEdits(word) { return word.length >= 8 ? 2 : word.length >= 5 ? 1 : 0; }

const matchers = new Map(); // first character -> {search, postings}

async function matcher(first) {
  if (matchers.has(first)) return matchers.get(first);
  const docs = await window.modelyard.load("search/docs");
  let entry = null;
  if (docs.chunks.includes(first)) {
    const postings = await window.modelyard.load("search/t-" + first);
    const mini = new MiniSearch({ fields: ["t"], storeFields: [], idField: "t", tokenize: (t) => [t] });
    mini.addAll(Object.keys(postings).map((t) => ({ t })));
    entry = { mini, postings };
  }
  matchers.set(first, entry);
  return entry;
}

async function search(query) {
  const words = queryWords(query);
  const index = await window.modelyard.load("search/docs");
  if (!words.length) return { hits: [], total: 0, words: [], size: index.docs.length };
  const scores = new Map(); // record -> [score, words matched, matched terms]
  for (const word of words) {
    const m = await matcher(word[0]);
    if (!m) continue;
    const found = m.mini.search(word, {
      prefix: (term) => term.length >= 2,
      fuzzy: (term) => maxEdits(term) || false,
      maxFuzzy: 2,
      weights: { fuzzy: 0.35, prefix: 0.6 },
      tokenize: (t) => [t],
    });
    const best = new Map(); // record -> [score, term] for this word
    for (const hit of found) {
      const quality = hit.id === word ? 1 : hit.score / (found[0].score || 1) * 0.8;
      for (const [doc, weight] of m.postings[hit.id]) {
        const value = quality * weight;
        const had = best.get(doc);
        if (!had || value > had[0]) best.set(doc, [value, hit.id]);
      }
    }
    for (const [doc, [value, term]] of best) {
      const had = scores.get(doc) || [0, 0, []];
      scores.set(doc, [had[0] + value, had[1] + 1, had[2].concat(term)]);
    }
  }
  // records matching every word first, then by score
  const hits = [...scores.entries()]
    .map(([doc, [score, count, terms]]) => ({ doc: index.docs[doc], score: score + (KIND_BONUS[index.docs[doc][0]] || 0), count, terms }))
    .sort((a, b) => b.count - a.count || b.score - a.score || a.doc[1].localeCompare(b.doc[1]));
  const all = hits.filter((h) => h.count === words.length);
  const shown = all.length ? all : hits;
  return { hits: shown.slice(0, MAX_RESULTS), total: shown.length, words, partial: !all.length, size: index.docs.length };
}

// `text` with the words that match any of `terms` (or start them) in <mark>
function highlighted(text, terms) {
  const out = document.createDocumentFragment();
  const parts = text.split(/([A-Za-z0-9]+)/);
  for (const part of parts) {
    const lower = part.toLowerCase();
    if (part && terms.some((t) => lower === t || (t.length >= 2 && lower.startsWith(t)) || t.split("_").includes(lower))) {
      const mark = document.createElement("mark");
      mark.textContent = part;
      out.appendChild(mark);
    } else if (part) out.appendChild(document.createTextNode(part));
  }
  return out;
}

function showResults(list, status, query, result) {
  list.replaceChildren();
  for (const hit of result.hits) {
    const [kind, id, name, url, detail] = hit.doc;
    const li = document.createElement("li");
    const badge = document.createElement("span");
    badge.className = "kind";
    badge.textContent = kind;
    const link = document.createElement("a");
    link.href = "../" + url;
    link.appendChild(highlighted(name, hit.terms));
    const line = document.createElement("div");
    line.className = "small muted mono";
    line.appendChild(highlighted(id, hit.terms));
    line.appendChild(document.createTextNode(" · " + detail));
    li.append(badge, link, line);
    list.appendChild(li);
  }
  if (!query.trim()) status.textContent = "Type to search " + result.size + " records.";
  else if (!result.total) status.textContent = "Nothing matches “" + query + "”.";
  else status.textContent = result.total + " match" + (result.total === 1 ? "" : "es") +
    (result.partial ? " for some of the words" : "") +
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
  let asked = 0;
  const run = async () => {
    const mine = ++asked;
    const query = input.value;
    const result = await search(query).catch((err) => {
      status.textContent = "The search index could not be loaded: " + err.message;
      return null;
    });
    if (result && mine === asked) showResults(list, status, query, result);  // the latest only
  };
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) input.value = initial;
  input.addEventListener("input", run);
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  run();
  setupChat();
});
