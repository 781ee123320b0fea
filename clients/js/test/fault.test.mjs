// The fault test: a TCP proxy between client and server is cut and restored at random points,
// at least 20 times, while another process writes. After the last restore every instance
// subscription holds the current row and the live list equals a fresh `list` (when the server
// has `subscribe_list`).
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { RequestError } from "../dist/index.js";
import { client, prepareDatabase, sleep, startProxy, startServer, waitFor } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const CYCLES = Number(process.env.DCRF_FAULT_CYCLES ?? 20);
const SEED = Number(process.env.DCRF_FAULT_SEED ?? Date.now() % 100_000);

let db;
let server;
let proxy;
const clients = [];
const open = (url) => {
  const c = client(url);
  clients.push(c);
  return c;
};
let writer = null;

before(async () => {
  db = await prepareDatabase();
  server = await startServer(db.database);
  proxy = await startProxy(server.port);
});

after(async () => {
  for (const c of clients) c.close();
  if (writer && writer.exitCode === null) writer.kill();
  await proxy?.close();
  await server?.stop();
  db?.cleanup();
});

function seeded(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whether the server answers `subscribe_list` (issue 10); unsubscribes right away if so. */
async function hasLiveLists(api) {
  try {
    await api.request("subscribe_list", { query: { search: "nothing-matches-this" } }, { timeout: 5_000 });
    return true;
  } catch (error) {
    if (error instanceof RequestError && error.status === 405) return false;
    throw error;
  }
}

test(`${CYCLES} random cuts while another process writes: the client converges (seed ${SEED})`, async (t) => {
  const rand = seeded(SEED);
  const direct = open(server.url());
  const watched = [];
  for (let i = 0; i < 5; i++) watched.push((await direct.create({ username: `fault watched ${i}`, email: `${i}@example.com` })).id);
  const live = await hasLiveLists(direct);
  if (!live) t.diagnostic("the server has no subscribe_list yet: live-list convergence not checked");

  const api = open(proxy.url());
  const subscriptions = watched.map((pk) => api.subscribeInstance(pk, () => undefined));
  const listMessage = { query: { search: "fault", ordering: "username" }, limit: 5, offset: 0 };
  const list = live ? api.liveList(listMessage) : null;
  await Promise.all(subscriptions.map((s) => s.ready));
  if (list) await list.ready;

  writer = fork(path.join(here, "writer.mjs"), [server.url(), JSON.stringify(watched), String(SEED)], { stdio: "inherit" });
  const writerErrors = [];
  let summary = null;
  writer.on("message", (message) => {
    if (message.error) writerErrors.push(message.error);
    if (message.writes !== undefined) summary = message;
  });

  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // Cut a live connection at a random point: during recovery, or well after it.
      await waitFor(() => proxy.active > 0, { message: "the client to reconnect" });
      await sleep(rand() * 500);
      proxy.cut();
      await sleep(10 + rand() * 300);
      proxy.restore();
    }
  } finally {
    writer.send("stop");
    await waitFor(() => summary, { timeout: 20_000, message: "the writer to stop" });
  }
  assert.ok(summary.writes > 20, `the writer wrote only ${summary.writes} times`);
  assert.deepEqual(writerErrors, []);
  assert.ok(proxy.connections >= CYCLES, `only ${proxy.connections} connections through the proxy`);

  await api.whenOpen();
  await waitFor(
    async () => {
      for (const subscription of subscriptions) {
        const current = await direct.retrieve(subscription.pk);
        if (JSON.stringify(current) !== JSON.stringify(subscription.data)) return false;
      }
      return true;
    },
    { timeout: 20_000, message: "every instance subscription to hold its current row" },
  );
  if (list) {
    await waitFor(
      async () => {
        const fresh = await direct.list(listMessage);
        return JSON.stringify(fresh.results) === JSON.stringify(list.rows) && fresh.count === list.count;
      },
      { timeout: 20_000, message: "the live list to equal a fresh list" },
    );
    assert.equal(new Set(list.rows.map((row) => row.id)).size, list.rows.length, "a row is in the live list twice");
  }
  t.diagnostic(`writes: ${summary.writes}, connections through the proxy: ${proxy.connections}`);
});
