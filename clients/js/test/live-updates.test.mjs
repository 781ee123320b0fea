// The server's live_updates notices (docs/deploying.md, "Failure modes"): on "resumed" the client
// re-establishes its subscriptions, without a real outage (a scripted socket plays the server).
import assert from "node:assert/strict";
import { test } from "node:test";

import { connect } from "../dist/index.js";

/** A WebSocket whose server side is this test: it answers subscribe_instance with 201. */
class ScriptedSocket {
  static last = null;
  readyState = 0;
  protocol = "";
  onopen = null;
  onclose = null;
  onerror = null;
  onmessage = null;
  sent = [];

  constructor() {
    ScriptedSocket.last = this;
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.({});
    }, 0);
  }

  send(text) {
    const message = JSON.parse(text);
    this.sent.push(message);
    if (message.action === "subscribe_instance") {
      this.push({ action: message.action, errors: [], data: null, response_status: 201, request_id: message.request_id });
    }
  }

  push(envelope) {
    setTimeout(() => this.onmessage?.({ data: JSON.stringify(envelope) }), 0);
  }

  close() {
    this.readyState = 3;
  }
}

const notice = (status, state) => ({ action: "live_updates", errors: [], data: { state }, response_status: status, request_id: null });
const subscribes = (socket) => socket.sent.filter((m) => m.action === "subscribe_instance").length;

test("a resumed notice re-establishes subscriptions; an interrupted one is only reported", async () => {
  const client = connect("ws://127.0.0.1:9/ws/", { WebSocket: ScriptedSocket, reconnect: false });
  const events = [];
  client.on("event", (frame) => events.push(frame.data.state));
  const subscription = client.subscribeInstance(2, () => undefined, { retrieve: false });
  await subscription.ready;
  const socket = ScriptedSocket.last;
  assert.equal(subscribes(socket), 1);

  socket.push(notice(503, "interrupted"));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(subscribes(socket), 1);

  socket.push(notice(200, "resumed"));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(subscribes(socket), 2);
  assert.deepEqual(events, ["interrupted", "resumed"]);
  client.close();
});
