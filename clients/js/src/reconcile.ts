/**
 * Pure functions for live lists: apply one change message to an array of rows, and compute the
 * changes that turn one snapshot into another (used after a reconnect, so that the app sees
 * exactly what changed while it was away, in the same shape as live events).
 */

/** A primary key as the server sends it (`pk` of a change message). */
export type Pk = string | number;

/** One change to a live list, as `subscribe_list` sends it (the protocol of issue 10). */
export interface ListChange<Row> {
  change: "enter" | "update" | "leave" | "count";
  /** The row's primary key; `null` for `count`. */
  pk: Pk | null;
  /** `enter`/`update`: the position after the change; `leave`: the position before it. */
  index: number | null;
  /** The serialized row for `enter`/`update`; `null` for `leave` and `count`. */
  row: Row | null;
  /** The new total of a paginated list (absent for an unpaginated one). */
  count?: number;
}

/** How to read a row's primary key; the default reads `id`, then `pk`. */
export type PkOf<Row> = (row: Row) => Pk;

export const defaultPkOf = <Row>(row: Row): Pk => {
  const record = row as unknown as Record<string, unknown>;
  return (record.id ?? record.pk) as Pk;
};

const keyOf = (pk: unknown): string => (typeof pk === "string" ? pk : JSON.stringify(pk));

/**
 * Apply one change to `rows` in place, following the protocol's oracle: `enter` inserts at
 * `index`; `update` removes the row with that pk and inserts `row` at `index`; `leave` removes
 * it; `count` changes nothing in the rows.
 */
export function applyChange<Row>(rows: Row[], change: ListChange<Row>, pkOf: PkOf<Row> = defaultPkOf): Row[] {
  if (change.change === "count") return rows;
  const key = keyOf(change.pk);
  const at = rows.findIndex((row) => keyOf(pkOf(row)) === key);
  if (change.change === "leave") {
    if (at >= 0) rows.splice(at, 1);
    return rows;
  }
  if (change.change === "update" && at >= 0) rows.splice(at, 1);
  const index = Math.max(0, Math.min(change.index ?? rows.length, rows.length));
  rows.splice(index, 0, change.row as Row);
  return rows;
}

/** Deep equality of JSON data (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(right, key) && jsonEqual(left[key], right[key]));
}

export interface ReconcileOptions<Row> {
  pkOf?: PkOf<Row>;
  equal?: (a: Row, b: Row) => boolean;
  /** The list's total before and after (paginated lists); a difference is reported. */
  count?: number;
  nextCount?: number;
}

/**
 * The changes that turn `current` into `next`, in the order to apply them.
 *
 * Rows that are in both, unchanged, and already in the right order relative to each other
 * (the longest such run) get no message; every other row that stays gets one `update`, each
 * row that goes one `leave`, each new row one `enter`. Applying the result with
 * `applyChange` to a copy of `current` gives `next` exactly. A paginated list whose total
 * changed while no row did gets one `count` change; otherwise every change carries the new
 * total when `nextCount` is given.
 */
export function reconcile<Row>(current: readonly Row[], next: readonly Row[], options: ReconcileOptions<Row> = {}): ListChange<Row>[] {
  const pkOf = options.pkOf ?? defaultPkOf;
  const equal = options.equal ?? jsonEqual;
  const withCount = (change: ListChange<Row>): ListChange<Row> =>
    options.nextCount === undefined ? change : { ...change, count: options.nextCount };
  const changes: ListChange<Row>[] = [];

  const nextIndex = new Map<string, number>();
  next.forEach((row, i) => nextIndex.set(keyOf(pkOf(row)), i));

  // 1. Rows that left, each at its position before its removal.
  const rows: Row[] = [];
  for (const row of current) {
    const pk = pkOf(row);
    if (nextIndex.has(keyOf(pk))) {
      rows.push(row);
    } else {
      changes.push(withCount({ change: "leave", pk, index: rows.length, row: null }));
    }
  }

  // 2. The unchanged rows that keep their relative order: a longest increasing subsequence
  //    of their positions in `next`. They never move.
  const candidates: { key: string; target: number }[] = [];
  for (const row of rows) {
    const key = keyOf(pkOf(row));
    const target = nextIndex.get(key) as number;
    if (equal(row, next[target])) candidates.push({ key, target });
  }
  const stable = new Set(longestIncreasing(candidates.map((c) => c.target)).map((i) => candidates[i].key));

  // 3. Every other row of `next`, in order, goes right after its predecessor in `next`.
  //    Each insertion keeps the rows placed so far adjacent to their predecessors, so once
  //    all are placed the array is `next` (stable rows are already in relative order).
  const keys = rows.map((row) => keyOf(pkOf(row))); // kept parallel to `rows`
  next.forEach((row, i) => {
    const pk = pkOf(row);
    const key = keyOf(pk);
    if (stable.has(key)) return;
    const present = keys.indexOf(key);
    if (present >= 0) {
      rows.splice(present, 1);
      keys.splice(present, 1);
    }
    const index = i === 0 ? 0 : keys.indexOf(keyOf(pkOf(next[i - 1]))) + 1;
    rows.splice(index, 0, row);
    keys.splice(index, 0, key);
    changes.push(withCount({ change: present < 0 ? "enter" : "update", pk, index, row }));
  });

  if (changes.length === 0 && options.nextCount !== undefined && options.nextCount !== options.count) {
    changes.push({ change: "count", pk: null, index: null, row: null, count: options.nextCount });
  }
  return changes;
}

/** Indexes (into `values`) of one longest strictly increasing subsequence, in order. */
export function longestIncreasing(values: readonly number[]): number[] {
  const tails: number[] = []; // tails[k]: index of the smallest tail of a run of length k+1
  const previous: number[] = new Array(values.length).fill(-1);
  values.forEach((value, i) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (values[tails[middle]] < value) low = middle + 1;
      else high = middle;
    }
    if (low > 0) previous[i] = tails[low - 1];
    tails[low] = i;
  });
  const result: number[] = [];
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = previous[i]) result.push(i);
  return result.reverse();
}
