// Test harness: a real uvicorn server (tests/e2e/jsclient_app.py with the demo's settings and
// its own seeded SQLite database), a TCP proxy that tests cut and restore, and small helpers.
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import WebSocket from "ws";

import { connect } from "../dist/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, "../../..");
const EXAMPLE_DIR = path.join(REPO_ROOT, "example");
const PYTHON = process.env.DCRF_PYTHON ?? path.join(REPO_ROOT, ".venv/bin/python");
const run = promisify(execFile);

function djangoEnv(database, extra = {}) {
  return {
    ...process.env,
    DJANGO_SETTINGS_MODULE: "demo.settings",
    DCRF_DEMO_DB: database,
    PYTHONPATH: [REPO_ROOT, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    PYTHONUNBUFFERED: "1",
    ...extra,
  };
}

/** A migrated, seeded database ("user 1".."user 3") in a new temporary folder. */
export async function prepareDatabase() {
  if (!existsSync(PYTHON)) throw new Error(`no Python at ${PYTHON}: run scripts/setup or set DCRF_PYTHON`);
  const dir = mkdtempSync(path.join(tmpdir(), "dcrf-js-"));
  const database = path.join(dir, "db.sqlite3");
  const env = djangoEnv(database);
  await run(PYTHON, ["manage.py", "migrate", "--noinput", "--verbosity", "0"], { cwd: EXAMPLE_DIR, env });
  const seeded = await run(PYTHON, ["manage.py", "seed_demo"], { cwd: EXAMPLE_DIR, env });
  const token = /token of "user 1": (\w+)/.exec(seeded.stdout)?.[1];
  return { dir, database, token, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Start uvicorn on a free port of 127.0.0.1 (or on `port`); resolves once it listens. */
export function startServer(database, { port = 0, app = "tests.e2e.jsclient_app:application", env = {} } = {}) {
  const child = spawn(PYTHON, ["-m", "uvicorn", app, "--host", "127.0.0.1", "--port", String(port), "--no-access-log"], {
    cwd: EXAMPLE_DIR,
    env: djangoEnv(database, env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`uvicorn did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk) => {
      output += chunk;
      const match = /Uvicorn running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        const actual = Number(match[1]);
        resolve({
          port: actual,
          url: (p = "/ws/") => `ws://127.0.0.1:${actual}${p}`,
          output: () => output,
          stop: () => stopProcess(child),
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`uvicorn exited with ${code}:\n${output}`));
    });
  });
}

export function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetPort`. `cut()` drops every connection and
 * refuses new ones until `restore()`.
 */
export async function startProxy(targetPort) {
  const sockets = new Set();
  let down = false;
  let connections = 0;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = net.connect(targetPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;
  return {
    port,
    url: (p = "/ws/") => `ws://127.0.0.1:${port}${p}`,
    get connections() {
      return connections;
    },
    /** Connections open through the proxy now. */
    get active() {
      return sockets.size / 2;
    },
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise((resolve) => {
        down = true;
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Our client on Node, with `ws` and quick reconnects. */
export function client(url, options = {}) {
  return connect(url, {
    WebSocket,
    requestTimeout: 10_000,
    reconnect: { initialDelay: 50, maxDelay: 500 },
    ...options,
  });
}

/** Wait until `check()` is truthy (polling), or fail after `timeout` ms with `message`. */
export async function waitFor(check, { timeout = 15_000, interval = 25, message = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  throw new Error(`timed out waiting for ${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
