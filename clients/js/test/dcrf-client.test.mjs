// The third-party dcrf-client 0.3 (npm), in its default multiplexed mode, against our
// Demultiplexer (tests/e2e/jsclient_app.py, stream "users"): unchanged, it must just work.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import dcrfModule from "dcrf-client";
import WebSocket from "ws";

import { prepareDatabase, startServer, waitFor } from "./harness.mjs";

const dcrf = dcrfModule.default ?? dcrfModule;

let db;
let server;
let client;

before(async () => {
  db = await prepareDatabase();
  server = await startServer(db.database);
  client = dcrf.connect(server.url("/ws/multi/"), { websocket: { WebSocket, minReconnectionDelay: 50 }, pkField: "id" });
});

after(async () => {
  client?.close();
  await server?.stop();
  db?.cleanup();
});

test("dcrf-client's CRUD calls work unchanged on a stream", async () => {
  const created = await client.create("users", { username: "dcrf user", email: "d@example.com" });
  assert.equal(created.username, "dcrf user");
  const listed = await client.list("users");
  assert.ok(listed.some((user) => user.id === created.id));
  assert.deepEqual(await client.retrieve("users", created.id), created);
  assert.equal((await client.patch("users", created.id, { email: "e@example.com" })).email, "e@example.com");
  assert.equal((await client.update("users", created.id, { username: "dcrf user 2" })).username, "dcrf user 2");
  assert.equal(await client.delete("users", created.id), null);
  const missing = await client.retrieve("users", created.id).catch((reply) => reply);
  assert.equal(missing.response_status, 404);
});

test("dcrf-client's generic request reaches a custom action", async () => {
  assert.deepEqual(await client.request("users", { action: "echo", value: 5 }), { value: 5, user: null });
});

test("dcrf-client's subscriptions receive updates and deletes", async () => {
  const target = await client.create("users", { username: "dcrf watched" });
  const events = [];
  const subscription = client.subscribe("users", target.id, (data, action) => events.push({ data, action }));
  await subscription;
  await client.patch("users", target.id, { email: "live@example.com" });
  await waitFor(() => events.length === 1, { message: "the update" });
  assert.equal(events[0].action, "update");
  assert.equal(events[0].data.email, "live@example.com");
  await client.delete("users", target.id);
  await waitFor(() => events.length === 2, { message: "the delete" });
  assert.equal(events[1].action, "delete");
  assert.equal(events[1].data.id, target.id);
  subscription.cancel();
});
