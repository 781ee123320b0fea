// A separate process that writes while the fault test cuts the client's connection: it patches
// the watched users and moves other users in and out of the live list until told to stop.
import WebSocket from "ws";

import { connect } from "../dist/index.js";

const [url, watchedArg, seedArg] = process.argv.slice(2);
const watched = JSON.parse(watchedArg);
let seed = Number(seedArg);
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (items) => items[Math.floor(rand() * items.length)];

const api = connect(url, { WebSocket, requestTimeout: 10_000 });
let stopping = false;
let writes = 0;
process.on("message", (message) => {
  if (message === "stop") stopping = true;
});

const extra = []; // users this process created (they enter and leave the live list)
let serial = 0;
while (!stopping) {
  const roll = rand();
  try {
    if (roll < 0.4) {
      await api.patch(pick(watched), { email: `w${writes}@example.com` });
    } else if (roll < 0.6 || extra.length === 0) {
      const user = await api.create({ username: `fault extra ${process.pid}-${serial++}`, email: "e@example.com" });
      extra.push(user.id);
    } else if (roll < 0.8) {
      // Rename in or out of the list's search ("fault").
      const pk = pick(extra);
      const name = rand() < 0.5 ? `fault moved ${serial++}` : `elsewhere ${serial++}`;
      await api.patch(pk, { username: name });
    } else {
      const pk = extra.splice(Math.floor(rand() * extra.length), 1)[0];
      await api.delete(pk);
    }
    writes++;
  } catch (error) {
    process.send?.({ error: String(error) });
  }
  await new Promise((resolve) => setTimeout(resolve, 5 + rand() * 25));
}
api.close();
process.send?.({ writes });
process.disconnect?.();
