// How long `reconcile` takes on large unpaginated lists (the server caps them at
// MAX_LIVE_LIST_ROWS, 10,000 by default). Prints one line per case; not a test.
import { applyChange, reconcile } from "../dist/index.js";

function rows(n, offset = 0) {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1 + offset, name: `user ${i + 1 + offset}` }));
}

function time(label, before, after) {
  const start = performance.now();
  const changes = reconcile(before, after);
  const ms = performance.now() - start;
  const check = changes.reduce((acc, change) => applyChange(acc, change), before.map((r) => ({ ...r })));
  if (JSON.stringify(check) !== JSON.stringify(after)) throw new Error(`${label}: wrong result`);
  console.log(`${label.padEnd(52)} ${String(changes.length).padStart(6)} changes  ${ms.toFixed(1).padStart(8)} ms`);
}

const n = 10_000;
const base = rows(n);
time(`${n} rows, nothing changed`, base, base.map((r) => ({ ...r })));
time(`${n} rows, 1% edited in place`, base, base.map((r, i) => (i % 100 === 0 ? { ...r, name: "x" } : r)));
time(`${n} rows, 10% left, 10% entered`, base, [...base.filter((_, i) => i % 10 !== 0), ...rows(n / 10, n)]);
time(`${n} rows, first row moved to the end`, base, [...base.slice(1), base[0]]);
time(`${n} rows, order reversed (worst case)`, base, [...base].reverse());
