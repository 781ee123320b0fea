// The reconcile and applyChange functions, checked against the protocol's oracle with
// thousands of seeded random snapshots.
import assert from "node:assert/strict";
import { test } from "node:test";

import { applyChange, longestIncreasing, reconcile } from "../dist/index.js";

/** A small seeded PRNG (mulberry32): the same cases on every run. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const shuffle = (rand, items) => {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
};

/** Two snapshots sharing some rows: some kept, some edited, some gone, some new, reordered. */
function snapshots(rand) {
  const size = Math.floor(rand() * 12);
  const before = Array.from({ length: size }, (_, i) => ({ id: i + 1, name: `n${i + 1}`, v: 0 }));
  let after = before.filter(() => rand() > 0.3).map((row) => (rand() < 0.3 ? { ...row, v: row.v + 1 } : row));
  const added = Math.floor(rand() * 4);
  for (let i = 0; i < added; i++) after.push({ id: 100 + i, name: `new${i}`, v: 0 });
  if (rand() < 0.7) {
    // a few local moves, as an ordering change or a row moving across others would make
    for (let k = Math.floor(rand() * 3); k > 0 && after.length > 1; k--) {
      const from = Math.floor(rand() * after.length);
      const [row] = after.splice(from, 1);
      after.splice(Math.floor(rand() * (after.length + 1)), 0, row);
    }
  } else {
    after = shuffle(rand, after);
  }
  return [before, after];
}

const apply = (rows, changes) => changes.reduce((acc, change) => applyChange(acc, change), rows.map((row) => ({ ...row })));

test("applying the reconcile result to the old rows gives the new rows (5,000 random cases)", () => {
  const rand = random(11);
  for (let n = 0; n < 5000; n++) {
    const [before, after] = snapshots(rand);
    const changes = reconcile(before, after);
    assert.deepEqual(apply(before, changes), after, JSON.stringify({ before, after, changes }));
  }
});

test("reconcile sends one change per row that left, entered, changed or moved, and none for the others", () => {
  const rand = random(12);
  for (let n = 0; n < 3000; n++) {
    const [before, after] = snapshots(rand);
    const changes = reconcile(before, after);
    const beforeIds = new Set(before.map((row) => row.id));
    const afterIds = new Set(after.map((row) => row.id));
    const leaves = changes.filter((c) => c.change === "leave").map((c) => c.pk);
    const enters = changes.filter((c) => c.change === "enter").map((c) => c.pk);
    assert.deepEqual(new Set(leaves), new Set([...beforeIds].filter((id) => !afterIds.has(id))));
    assert.deepEqual(new Set(enters), new Set([...afterIds].filter((id) => !beforeIds.has(id))));
    // At most one change per row.
    assert.equal(new Set(changes.map((c) => c.pk)).size, changes.length);
    // Unchanged rows that keep their relative order (a longest such run) get no message.
    const byId = new Map(before.map((row) => [row.id, row]));
    const unchanged = after.map((row, i) => [row, i]).filter(([row]) => byId.has(row.id) && JSON.stringify(byId.get(row.id)) === JSON.stringify(row));
    const oldOrder = unchanged.map(([row]) => before.findIndex((b) => b.id === row.id));
    const keep = longestIncreasing(oldOrder).length;
    const updates = changes.filter((c) => c.change === "update").length;
    const kept = after.filter((row) => byId.has(row.id)).length;
    assert.equal(updates, kept - keep, JSON.stringify({ before, after, changes }));
  }
});

test("every enter and update carries the row, every leave none, and indexes are in range", () => {
  const rand = random(13);
  for (let n = 0; n < 2000; n++) {
    const [before, after] = snapshots(rand);
    let rows = before.map((row) => ({ ...row }));
    for (const change of reconcile(before, after)) {
      if (change.change === "leave") {
        assert.equal(change.row, null);
        assert.equal(rows[change.index].id, change.pk, "a leave's index is the row's position before");
      } else {
        assert.equal(change.row.id, change.pk);
      }
      rows = applyChange(rows, change);
      if (change.change !== "leave") assert.equal(rows[change.index].id, change.pk, "the index is the position after");
    }
  }
});

test("equal snapshots give no change; a changed total alone gives one count change", () => {
  const rows = [{ id: 1 }, { id: 2 }];
  assert.deepEqual(reconcile(rows, rows.map((row) => ({ ...row }))), []);
  assert.deepEqual(reconcile(rows, rows, { count: 5, nextCount: 5 }), []);
  assert.deepEqual(reconcile(rows, rows, { count: 5, nextCount: 6 }), [{ change: "count", pk: null, index: null, row: null, count: 6 }]);
});

test("with a total, every change carries the final count", () => {
  const changes = reconcile([{ id: 1 }, { id: 2 }], [{ id: 2 }, { id: 3 }], { count: 10, nextCount: 11 });
  assert.ok(changes.length > 0);
  for (const change of changes) assert.equal(change.count, 11);
});

test("moving one row to the end is one update, not one per row it passed", () => {
  const before = [1, 2, 3, 4, 5].map((id) => ({ id }));
  const after = [2, 3, 4, 5, 1].map((id) => ({ id }));
  assert.deepEqual(reconcile(before, after), [{ change: "update", pk: 1, index: 4, row: { id: 1 } }]);
});

test("applyChange follows the oracle: enter inserts, update moves and replaces, leave removes", () => {
  const rows = [{ id: 1 }, { id: 2 }, { id: 3 }];
  applyChange(rows, { change: "enter", pk: 4, index: 1, row: { id: 4 } });
  assert.deepEqual(rows.map((r) => r.id), [1, 4, 2, 3]);
  applyChange(rows, { change: "update", pk: 1, index: 3, row: { id: 1, x: 1 } });
  assert.deepEqual(rows, [{ id: 4 }, { id: 2 }, { id: 3 }, { id: 1, x: 1 }]);
  applyChange(rows, { change: "leave", pk: 2, index: 1, row: null });
  assert.deepEqual(rows.map((r) => r.id), [4, 3, 1]);
  applyChange(rows, { change: "count", pk: null, index: null, row: null, count: 9 });
  assert.deepEqual(rows.map((r) => r.id), [4, 3, 1]);
});

test("random event sequences: the oracle's result equals reconcile's from the same start", () => {
  // A server-side sequence of enter/update/leave applied to a snapshot, and the reconcile of
  // the snapshot with the final rows, lead to the same rows.
  const rand = random(14);
  for (let n = 0; n < 2000; n++) {
    const start = Array.from({ length: Math.floor(rand() * 8) }, (_, i) => ({ id: i + 1, v: 0 }));
    let rows = start.map((row) => ({ ...row }));
    let nextId = 50;
    for (let k = Math.floor(rand() * 10); k > 0; k--) {
      const roll = rand();
      if (roll < 0.35 || rows.length === 0) {
        const index = Math.floor(rand() * (rows.length + 1));
        rows = applyChange(rows, { change: "enter", pk: nextId, index, row: { id: nextId++, v: 0 } });
      } else if (roll < 0.7) {
        const row = rows[Math.floor(rand() * rows.length)];
        const index = Math.floor(rand() * rows.length);
        rows = applyChange(rows, { change: "update", pk: row.id, index, row: { ...row, v: row.v + 1 } });
      } else {
        const index = Math.floor(rand() * rows.length);
        rows = applyChange(rows, { change: "leave", pk: rows[index].id, index, row: null });
      }
    }
    assert.deepEqual(apply(start, reconcile(start, rows)), rows);
  }
});
