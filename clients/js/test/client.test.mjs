// The client against a real uvicorn server: requests, CRUD, errors, timeouts, custom actions,
// streams (multiplexing), streamed lists, instance subscriptions, close codes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { ConnectionClosed, ConnectionLost, RequestError, RequestTimeout } from "../dist/index.js";
import { client, prepareDatabase, startProxy, startServer, waitFor } from "./harness.mjs";

let db;
let server;
const clients = [];
const open = (url, options) => {
  const c = client(url, options);
  clients.push(c);
  return c;
};

before(async () => {
  db = await prepareDatabase();
  server = await startServer(db.database);
});

after(async () => {
  for (const c of clients) c.close();
  await server?.stop();
  db?.cleanup();
});

describe("requests", () => {
  test("every CRUD helper round-trips through the server", async () => {
    const api = open(server.url());
    const created = await api.create({ username: "crud user", email: "crud@example.com" });
    assert.equal(created.username, "crud user");
    assert.deepEqual(await api.retrieve(created.id), created);
    const patched = await api.patch(created.id, { email: "patched@example.com" });
    assert.equal(patched.email, "patched@example.com");
    const updated = await api.update(created.id, { username: "crud user 2" });
    assert.equal(updated.username, "crud user 2");
    assert.equal(updated.email, "patched@example.com");
    const listed = await api.list();
    assert.ok(Array.isArray(listed));
    assert.ok(listed.some((user) => user.id === created.id && user.username === "crud user 2"));
    const page = await api.list({ limit: 2, offset: 0, query: { ordering: "-id" } });
    assert.equal(page.results.length, 2);
    assert.equal(page.results[0].id, created.id);
    assert.equal(page.count, listed.length);
    assert.equal(await api.delete(created.id), null);
    await assert.rejects(api.retrieve(created.id), (error) => error instanceof RequestError && error.status === 404);
  });

  test("a non-2xx reply rejects with a RequestError carrying status, errors, action and request id", async () => {
    const api = open(server.url());
    const error = await api.retrieve(999_999).catch((e) => e);
    assert.ok(error instanceof RequestError);
    assert.equal(error.status, 404);
    assert.deepEqual(error.errors, ["Not found"]);
    assert.equal(error.action, "retrieve");
    assert.equal(typeof error.requestId, "number");

    const invalid = await api.create({ username: "" }).catch((e) => e);
    assert.equal(invalid.status, 400);
    assert.ok(invalid.errors.some((item) => item.username), JSON.stringify(invalid.errors));

    const unknown = await api.request("no_such_action").catch((e) => e);
    assert.equal(unknown.status, 405);
    assert.equal(unknown.action, "no_such_action");
    // The connection stays usable.
    assert.equal((await api.request("echo", { value: 1 })).value, 1);
  });

  test("custom actions are called by name with their arguments", async () => {
    const api = open(server.url());
    assert.deepEqual(await api.request("echo", { value: { nested: [1, "two"] } }), { value: { nested: [1, "two"] }, user: null });
    const missing = await api.request("echo").catch((e) => e);
    assert.equal(missing.status, 400);
  });

  test("a reply that does not come in time rejects with RequestTimeout; later replies still match", async () => {
    const api = open(server.url());
    const error = await api.request("slow", { seconds: 1.5 }, { timeout: 200 }).catch((e) => e);
    assert.ok(error instanceof RequestTimeout, String(error));
    assert.equal(error.action, "slow");
    // The late reply is dropped and the next request gets its own reply.
    assert.deepEqual(await api.request("echo", { value: "after" }), { value: "after", user: null });
  });

  test("requests sent before the socket opens wait for it", async () => {
    const api = open(server.url());
    assert.equal(api.state, "connecting");
    assert.deepEqual(await api.request("echo", { value: 7 }), { value: 7, user: null });
    assert.equal(api.state, "open");
  });

  test("a request in flight when the connection drops rejects with ConnectionLost and is not re-sent", async () => {
    const proxy = await startProxy(server.port);
    try {
      const api = open(proxy.url());
      await api.whenOpen();
      const sent = [];
      api.on("frame", (frame) => frame.direction === "out" && sent.push(frame.text));
      const pending = api.request("slow", { seconds: 1 });
      await waitFor(() => sent.length === 1, { message: "the request to be sent" });
      proxy.cut();
      const error = await pending.catch((e) => e);
      assert.ok(error instanceof ConnectionLost, String(error));
      assert.equal(error.action, "slow");
      proxy.restore();
      await api.whenOpen();
      assert.equal((await api.request("echo", { value: 2 })).value, 2);
      assert.equal(sent.filter((text) => text.includes('"slow"')).length, 1, "the request was re-sent");
    } finally {
      await proxy.close();
    }
  });
});

describe("close codes", () => {
  test("a refused token (4401) closes the client for good with an error the app can show", async () => {
    const api = open(server.url(), { token: "not-a-token" });
    const states = [];
    api.on("state", (event) => states.push(event));
    const errors = [];
    api.on("error", (error) => errors.push(error));
    const error = await api.request("echo", { value: 1 }).catch((e) => e);
    assert.ok(error instanceof ConnectionClosed, String(error));
    assert.equal(error.code, 4401);
    assert.equal(api.state, "closed");
    assert.ok(errors.some((e) => e instanceof ConnectionClosed && e.code === 4401));
    assert.equal(states.filter((s) => s.state === "reconnecting").length, 0, "it retried");
  });

  test("after 4429 the client waits at least overloadDelay, reconnects and recovers", async () => {
    const writer = open(server.url());
    const target = await writer.create({ username: "behind" });
    const api = open(server.url(), { reconnect: { initialDelay: 10, overloadDelay: 400 } });
    const subscription = api.subscribeInstance(target.id, () => undefined);
    await subscription.ready;
    await api.whenOpen();
    const states = [];
    api.on("state", (event) => states.push(event));
    await api.request("close_with", { code: 4429 }).catch(() => undefined);
    await waitFor(() => states.some((s) => s.state === "reconnecting"), { message: "the close" });
    const waiting = states.find((s) => s.state === "reconnecting");
    assert.equal(waiting.code, 4429);
    assert.ok(waiting.delay >= 200 && waiting.delay <= 400, String(waiting.delay));
    await writer.patch(target.id, { email: "while-away@example.com" });
    await waitFor(() => subscription.data?.email === "while-away@example.com", { message: "the recovery" });
    await api.whenOpen();
    await writer.delete(target.id);
  });

  test("a valid token is offered as a subprotocol and authenticates", async () => {
    const api = open(server.url(), { token: async () => db.token });
    assert.deepEqual(await api.request("echo", { value: 1 }), { value: 1, user: "user 1" });
  });
});

describe("streams (one socket, many consumers)", () => {
  test("stream APIs talk to their consumer through the demultiplexer", async () => {
    const api = open(server.url("/ws/multi/"));
    const users = api.stream("users");
    const created = await users.create({ username: "streamed user" });
    assert.equal((await users.retrieve(created.id)).username, "streamed user");
    assert.deepEqual(await users.request("echo", { value: "x" }), { value: "x", user: null });
    const error = await api.stream("nope").list().catch((e) => e);
    assert.ok(error instanceof RequestError);
    assert.equal(error.status, 404);
    assert.deepEqual(error.errors, ['Unknown stream "nope".']);
    await users.delete(created.id);
  });

  test("a streamed list is an async iterator of pages; leaving the loop cancels it", async () => {
    const api = open(server.url("/ws/multi/"));
    const pages = api.stream("pages");
    const all = [];
    for await (const page of pages.streamList({ limit: 2 })) all.push(...page.results);
    const listed = await open(server.url()).list();
    assert.deepEqual(all.map((u) => u.id), listed.map((u) => u.id));

    const stream = pages.streamList({ limit: 1 });
    const first = await stream.next();
    assert.equal(first.value.results.length, 1);
    await stream.return();
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
    // The connection is still usable after the cancel.
    assert.equal((await pages.request("list_cancel")) ?? null, null);
  });
});

describe("instance subscriptions", () => {
  test("updates and deletes made elsewhere reach the callback", async () => {
    const writer = open(server.url());
    const target = await writer.create({ username: "watched", email: "a@example.com" });
    const api = open(server.url("/ws/multi/"));
    const events = [];
    const subscription = api.stream("users").subscribeInstance(target.id, (event) => events.push(event));
    assert.deepEqual(await subscription.ready, target);
    await writer.patch(target.id, { email: "b@example.com" });
    await waitFor(() => events.length === 1, { message: "the update" });
    assert.equal(events[0].type, "update");
    assert.equal(events[0].data.email, "b@example.com");
    assert.equal(events[0].previous.email, "a@example.com");
    assert.equal(events[0].recovered, false);
    await writer.delete(target.id);
    await waitFor(() => events.length === 2, { message: "the delete" });
    assert.equal(events[1].type, "delete");
    assert.equal(subscription.data, null);
    assert.equal(subscription.deleted, true);
  });

  test("after an outage the subscription reports what changed while away", async () => {
    const proxy = await startProxy(server.port);
    try {
      const writer = open(server.url());
      const kept = await writer.create({ username: "kept", email: "1@example.com" });
      const gone = await writer.create({ username: "gone" });
      const api = open(proxy.url());
      const events = [];
      const keptSub = api.subscribeInstance(kept.id, (event) => events.push(event));
      const goneSub = api.subscribeInstance(gone.id, (event) => events.push(event));
      await Promise.all([keptSub.ready, goneSub.ready]);
      await api.whenOpen();
      proxy.cut();
      await waitFor(() => api.state === "reconnecting", { message: "the client to notice" });
      await writer.patch(kept.id, { email: "2@example.com" });
      await writer.delete(gone.id);
      proxy.restore();
      await waitFor(() => events.length === 2, { message: "the recovered changes" });
      const byType = Object.fromEntries(events.map((e) => [e.type, e]));
      assert.equal(byType.update.data.email, "2@example.com");
      assert.equal(byType.update.recovered, true);
      assert.equal(byType.delete.pk, gone.id);
      assert.equal(byType.delete.recovered, true);
      // And live events flow again on the new connection.
      await writer.patch(kept.id, { email: "3@example.com" });
      await waitFor(() => keptSub.data?.email === "3@example.com", { message: "a live event after recovery" });
      assert.equal(events.length, 3);
    } finally {
      await proxy.close();
    }
  });

  test("a subscription the server refuses rejects ready and calls onError", async () => {
    const api = open(server.url());
    const errors = [];
    const subscription = api.subscribeInstance(987_654, () => undefined, { onError: (e) => errors.push(e) });
    const error = await subscription.ready.catch((e) => e);
    assert.ok(error instanceof RequestError);
    assert.equal(error.status, 404);
    assert.equal(errors.length, 1);
    assert.equal(subscription.closed, true);
  });
});

describe("live lists", () => {
  test("rows follow the server's list: enter, update, leave and the page's count", async (t) => {
    const writer = open(server.url());
    const probe = await writer.request("subscribe_list", { query: { search: "zzz-none" } }).catch((e) => e);
    if (probe instanceof RequestError && probe.status === 405) {
      t.skip("the server has no subscribe_list yet (issue 10)");
      return;
    }
    const api = open(server.url("/ws/multi/"));
    const message = { query: { search: "livetest", ordering: "username" }, limit: 2, offset: 0 };
    const changes = [];
    const list = api.stream("users").liveList(message, { onChange: (change) => changes.push(change) });
    await list.ready;
    assert.deepEqual(list.rows, []);
    assert.equal(list.count, 0);

    const b = await writer.create({ username: "livetest b" });
    await waitFor(() => list.rows.length === 1, { message: "the enter" });
    assert.equal(changes[0].change, "enter");
    assert.equal(changes[0].pk, b.id);
    const a = await writer.create({ username: "livetest a" });
    const c = await writer.create({ username: "livetest c" });
    await waitFor(() => list.count === 3, { message: "the count of 3" });
    assert.deepEqual(list.rows.map((row) => row.id), [a.id, b.id]);
    await writer.patch(a.id, { username: "not in the search" });
    await waitFor(() => list.count === 2 && list.rows[1]?.id === c.id, { message: "a to leave and c to enter" });
    assert.deepEqual(list.rows.map((row) => row.username), ["livetest b", "livetest c"]);
    const fresh = await writer.list(message);
    assert.deepEqual(list.rows, fresh.results);
    assert.equal(list.count, fresh.count);

    await list.close();
    const before = changes.length;
    await writer.create({ username: "livetest 0 first" });
    // The list no longer follows the server: a fresh list changes, this one does not.
    await waitFor(async () => (await writer.list(message)).count === 3, { message: "the write" });
    assert.equal(changes.length, before);
    for (const user of [a, b, c]) await writer.delete(user.id);
  });
});
