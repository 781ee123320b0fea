// Reconnect delays: exponential back-off with jitter, longer after 4429, none after 4401.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CloseCode, reconnectDelay } from "../dist/index.js";

test("the delay doubles per attempt up to maxDelay", () => {
  const fixed = { initialDelay: 100, maxDelay: 1000, jitter: 0 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((attempt) => reconnectDelay(attempt, 1006, fixed)), [100, 200, 400, 800, 1000, 1000]);
});

test("jitter varies the delay within its fraction, never above the computed delay", () => {
  const options = { initialDelay: 1000, maxDelay: 1000, jitter: 0.5 };
  assert.equal(reconnectDelay(0, 1006, options, () => 0), 500);
  assert.ok(Math.abs(reconnectDelay(0, 1006, options, () => 0.999999) - 999.9995) < 1e-6);
  const seen = new Set(Array.from({ length: 50 }, () => Math.round(reconnectDelay(0, 1006, options))));
  assert.ok(seen.size > 10, "the delays do not vary");
  for (const delay of seen) assert.ok(delay >= 500 && delay <= 1000, String(delay));
});

test("after 4429 (the client fell behind) the client waits at least overloadDelay", () => {
  const options = { initialDelay: 100, jitter: 0, overloadDelay: 5000 };
  assert.equal(reconnectDelay(0, CloseCode.TOO_MANY_PENDING, options), 5000);
  assert.equal(reconnectDelay(0, 1006, options), 100);
});

test("the close codes match the server's (djangochannelsrestframework.protocol)", () => {
  assert.equal(CloseCode.UNAUTHORIZED, 4401);
  assert.equal(CloseCode.TOO_MANY_PENDING, 4429);
});
