// Loads the catalog's data files (model-development/data/*.js). Each file is a script that
// calls window.MODELYARD_DATA(name, value): a page opened from disk may load a script but
// not fetch a file. Values are handed out as they are; pages build what they show with
// textContent, never innerHTML.
"use strict";

(function () {
  const waiting = new Map();
  const loaded = new Map();
  window.MODELYARD_DATA = function (name, value) {
    loaded.set(name, value);
    const done = waiting.get(name);
    if (done) { waiting.delete(name); done.resolve(value); }
  };
  const script = document.currentScript;
  const base = script ? script.src.replace(/assets\/data\.js(\?.*)?$/, "data/") : "data/";

  function load(name) {
    if (loaded.has(name)) return Promise.resolve(loaded.get(name));
    if (waiting.has(name)) return waiting.get(name).promise;
    let resolve, reject;
    const promise = new Promise((ok, fail) => { resolve = ok; reject = fail; });
    waiting.set(name, { promise, resolve });
    const tag = document.createElement("script");
    tag.src = base + name + ".js";
    tag.async = true;
    tag.onerror = () => { waiting.delete(name); reject(new Error("could not load " + name)); };
    document.head.appendChild(tag);
    return promise;
  }

  // the same FNV-1a as modelyard.site.shards.bucket_of
  function bucketOf(id, buckets) {
    let value = 0x811c9dc5;
    const bytes = new TextEncoder().encode(id);
    for (const b of bytes) value = Math.imul(value ^ b, 0x01000193) >>> 0;
    return value % buckets;
  }

  async function run(id, month) {
    const index = await load("runs/index");
    const entry = index.months.find((m) => m.month === month);
    if (!entry) return null;
    const bucket = await load("runs/" + month + "/" + bucketOf(id, entry.buckets));
    return bucket[id] || null;
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function fmt(value) {
    if (typeof value !== "number") return value === null || value === undefined ? "" : String(value);
    if (value === 0) return "0";
    const abs = Math.abs(value);
    return abs >= 1000 || abs < 0.001 ? value.toPrecision(3) : String(Number(value.toPrecision(4)));
  }

  function shortTime(iso) { return (iso || "").slice(0, 16).replace("T", " "); }

  function viewHref(root, id, created) {
    return root + "runs/view.html?id=" + encodeURIComponent(id) + "&m=" + encodeURIComponent(created.slice(0, 7));
  }

  window.modelyard = { load, run, bucketOf, el, fmt, shortTime, viewHref };
})();
