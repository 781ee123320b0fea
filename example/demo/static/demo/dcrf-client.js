// DCRF client (clients/js), bundled by clients/js/scripts/bundle.mjs: do not edit.

// src/errors.ts
var RequestError = class extends Error {
  constructor(status, errors, action, requestId, data = null) {
    super(`${action} failed with ${status}: ${describe(errors)}`);
    this.status = status;
    this.errors = errors;
    this.action = action;
    this.requestId = requestId;
    this.data = data;
    this.name = "RequestError";
  }
};
var ConnectionLost = class extends Error {
  constructor(action = null, requestId = null) {
    super(action ? `connection lost before the reply to ${action}` : "connection lost");
    this.action = action;
    this.requestId = requestId;
    this.name = "ConnectionLost";
  }
};
var RequestTimeout = class extends Error {
  constructor(action, requestId, timeout) {
    super(`no reply to ${action} within ${timeout} ms`);
    this.action = action;
    this.requestId = requestId;
    this.timeout = timeout;
    this.name = "RequestTimeout";
  }
};
var ConnectionClosed = class extends Error {
  constructor(code, reason = "") {
    super(closeMessage(code, reason));
    this.code = code;
    this.reason = reason;
    this.name = "ConnectionClosed";
  }
};
function closeMessage(code, reason) {
  if (code === 4401) return "authentication failed (close code 4401): log in again";
  if (code === 0) return "the client is closed";
  return `connection closed with code ${code}${reason ? `: ${reason}` : ""}`;
}
function describe(errors) {
  if (!Array.isArray(errors) || errors.length === 0) return "no details";
  return errors.map((error) => typeof error === "string" ? error : JSON.stringify(error)).join("; ");
}

// src/transport.ts
var isSuccess = (status) => status >= 200 && status < 300;

// src/streams.ts
function isLastPage(data) {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return true;
  const page = data;
  if ("next" in page) return !page.next;
  if (typeof page.count === "number" && typeof page.offset === "number") {
    return !page.limit || page.offset + page.limit >= page.count;
  }
  return true;
}
var ListStream = class {
  constructor(transport, stream, message, options = {}) {
    this.transport = transport;
    this.stream = stream;
    this.pages = [];
    this.waiting = null;
    this.finished = false;
    this.error = null;
    this.requestId = transport.newRequestId();
    this.timeout = options.timeout ?? transport.requestTimeout;
    this.unlisten = transport.listen(stream, this.requestId, (frame) => this.onFrame(frame));
    this.untrack = transport.track(this);
    transport.send(stream, { ...message, action: "list", request_id: this.requestId });
  }
  onFrame(frame) {
    if (frame.action !== "list") return;
    if (!isSuccess(frame.response_status)) {
      this.end(new RequestError(frame.response_status, frame.errors, "list", frame.request_id, frame.data));
      return;
    }
    this.pages.push(frame.data);
    if (isLastPage(frame.data)) this.end(null);
    this.wake();
  }
  end(error) {
    if (this.finished) return;
    this.finished = true;
    this.error = error;
    this.unlisten();
    this.untrack();
    this.wake();
  }
  wake() {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve();
  }
  drop(error) {
    this.end(error);
  }
  recover() {
    return Promise.resolve();
  }
  async next() {
    while (true) {
      const page = this.pages.shift();
      if (page !== void 0) return { value: page, done: false };
      if (this.finished) {
        if (this.error) {
          const error = this.error;
          this.error = null;
          throw error;
        }
        return { value: void 0, done: true };
      }
      const arrived = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), this.timeout);
        this.waiting = {
          resolve: () => {
            clearTimeout(timer);
            resolve(true);
          }
        };
      });
      if (!arrived) {
        this.cancel();
        throw new RequestTimeout("list", this.requestId, this.timeout);
      }
    }
  }
  /** Leaving a `for await` loop early cancels the stream. */
  async return() {
    this.cancel();
    return { value: void 0, done: true };
  }
  /** Stop the stream: `list_cancel` for this request id; pages already received are dropped. */
  cancel() {
    if (this.finished) return;
    this.pages.length = 0;
    this.end(null);
    if (this.transport.isOpen) {
      this.transport.call(this.stream, "list_cancel", { stream_request_id: this.requestId }).catch(() => void 0);
    }
  }
  [Symbol.asyncIterator]() {
    return this;
  }
};

// src/reconcile.ts
var defaultPkOf = (row) => {
  const record = row;
  return record.id ?? record.pk;
};
var keyOf = (pk) => typeof pk === "string" ? pk : JSON.stringify(pk);
function applyChange(rows, change, pkOf = defaultPkOf) {
  if (change.change === "count") return rows;
  const key = keyOf(change.pk);
  const at = rows.findIndex((row) => keyOf(pkOf(row)) === key);
  if (change.change === "leave") {
    if (at >= 0) rows.splice(at, 1);
    return rows;
  }
  if (change.change === "update" && at >= 0) rows.splice(at, 1);
  const index = Math.max(0, Math.min(change.index ?? rows.length, rows.length));
  rows.splice(index, 0, change.row);
  return rows;
}
function jsonEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b;
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]));
  }
  const left = a;
  const right = b;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(right, key) && jsonEqual(left[key], right[key]));
}
function reconcile(current, next, options = {}) {
  const pkOf = options.pkOf ?? defaultPkOf;
  const equal = options.equal ?? jsonEqual;
  const withCount = (change) => options.nextCount === void 0 ? change : { ...change, count: options.nextCount };
  const changes = [];
  const nextIndex = /* @__PURE__ */ new Map();
  next.forEach((row, i) => nextIndex.set(keyOf(pkOf(row)), i));
  const rows = [];
  for (const row of current) {
    const pk = pkOf(row);
    if (nextIndex.has(keyOf(pk))) {
      rows.push(row);
    } else {
      changes.push(withCount({ change: "leave", pk, index: rows.length, row: null }));
    }
  }
  const candidates = [];
  for (const row of rows) {
    const key = keyOf(pkOf(row));
    const target = nextIndex.get(key);
    if (equal(row, next[target])) candidates.push({ key, target });
  }
  const stable = new Set(longestIncreasing(candidates.map((c) => c.target)).map((i) => candidates[i].key));
  const keys = rows.map((row) => keyOf(pkOf(row)));
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
  if (changes.length === 0 && options.nextCount !== void 0 && options.nextCount !== options.count) {
    changes.push({ change: "count", pk: null, index: null, row: null, count: options.nextCount });
  }
  return changes;
}
function longestIncreasing(values) {
  const tails = [];
  const previous = new Array(values.length).fill(-1);
  values.forEach((value, i) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = low + high >> 1;
      if (values[tails[middle]] < value) low = middle + 1;
      else high = middle;
    }
    if (low > 0) previous[i] = tails[low - 1];
    tails[low] = i;
  });
  const result = [];
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = previous[i]) result.push(i);
  return result.reverse();
}

// src/subscriptions.ts
var Subscription = class {
  constructor(transport, stream, onError) {
    this.transport = transport;
    this.stream = stream;
    this.onError = onError;
    /** True once `close()` was called or the server refused the subscription. */
    this.closed = false;
    this.inflight = false;
    this.requestId = transport.newRequestId();
    this.unlisten = transport.listen(stream, this.requestId, (frame) => this.onFrame(frame));
    this.untrack = transport.track(this);
  }
  /** Run `establish` unless a run is already under way; a lost connection waits for recovery. */
  async run(recovering) {
    if (this.inflight || this.closed) return;
    this.inflight = true;
    try {
      await this.establish(recovering);
    } catch (error) {
      if (error instanceof ConnectionLost) return;
      this.fail(error);
    } finally {
      this.inflight = false;
    }
  }
  recover() {
    return this.run(true);
  }
  drop() {
  }
  fail(error) {
    this.detach();
    this.failReady(error);
    if (this.onError) this.onError(error);
    else this.transport.reportError(error);
  }
  detach() {
    this.closed = true;
    this.unlisten();
    this.untrack();
  }
  /** Stop following: unsubscribe on the server (when connected) and stop recovering. */
  async close() {
    if (this.closed) return;
    this.detach();
    if (!this.transport.isOpen) return;
    try {
      await this.transport.call(this.stream, this.unsubscribeAction(), this.unsubscribeArgs(), { requestId: this.requestId });
    } catch {
    }
  }
  unsubscribeArgs() {
    return {};
  }
};
var InstanceSubscription = class extends Subscription {
  constructor(transport, stream, pk, callback, options = {}) {
    super(transport, stream, options.onError);
    this.pk = pk;
    this.callback = callback;
    this.options = options;
    this.data = null;
    this.deleted = false;
    this.loaded = false;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => void 0);
    void this.run(false);
  }
  recover() {
    return this.deleted ? Promise.resolve() : super.recover();
  }
  async establish(recovering) {
    try {
      await this.transport.call(this.stream, "subscribe_instance", { pk: this.pk }, { requestId: this.requestId });
    } catch (error) {
      if (recovering && error instanceof RequestError && error.status === 404) {
        this.markDeleted(true);
        return;
      }
      throw error;
    }
    if (this.options.retrieve !== false) {
      try {
        const reply = await this.transport.call(this.stream, "retrieve", { pk: this.pk });
        this.apply(reply.data, recovering, !this.loaded);
      } catch (error) {
        if (!(error instanceof RequestError && error.status === 404)) throw error;
        this.markDeleted(recovering);
      }
    }
    this.loaded = true;
    this.resolveReady(this.data);
  }
  onFrame(frame) {
    if (!isSuccess(frame.response_status)) return;
    if (frame.action === "update") this.apply(frame.data, false, false);
    else if (frame.action === "delete") this.markDeleted(false);
  }
  apply(data, recovered, initial) {
    if (!this.deleted && jsonEqual(data, this.data)) return;
    const previous = this.data;
    this.data = data;
    this.deleted = false;
    if (initial && previous === null) return;
    this.callback({ type: "update", pk: this.pk, data, previous, recovered });
  }
  markDeleted(recovered) {
    if (this.deleted) return;
    const previous = this.data;
    this.deleted = true;
    this.data = null;
    this.callback({ type: "delete", pk: this.pk, data: null, previous, recovered });
  }
  unsubscribeAction() {
    return "unsubscribe_instance";
  }
  unsubscribeArgs() {
    return { pk: this.pk };
  }
  failReady(error) {
    this.rejectReady(error);
  }
};
var LiveList = class extends Subscription {
  constructor(transport, stream, message, options = {}) {
    super(transport, stream, options.onError);
    this.message = message;
    this.options = options;
    /** The rows, in the server's order (for a paginated list: the page's `results`). */
    this.rows = [];
    /** The total of a paginated list; `undefined` for an unpaginated one. */
    this.count = void 0;
    /** The page's other keys (`limit`, `offset`, `next`...); `null` when unpaginated. */
    this.page = null;
    this.loaded = false;
    this.pkOf = options.pkOf ?? defaultPkOf;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => void 0);
    void this.run(false);
  }
  async establish() {
    const reply = await this.transport.call(this.stream, "subscribe_list", this.message, {
      requestId: this.requestId
    });
    const snapshot = reply.data;
    const rows = Array.isArray(snapshot) ? snapshot : snapshot.results;
    const count = Array.isArray(snapshot) ? void 0 : snapshot.count;
    if (!Array.isArray(snapshot)) {
      const { results: _results, ...page } = snapshot;
      this.page = page;
    }
    if (!this.loaded) {
      this.rows = [...rows];
      this.count = count;
      this.loaded = true;
      this.resolveReady(this);
      return;
    }
    const changes = reconcile(this.rows, rows, { pkOf: this.pkOf, count: this.count, nextCount: count });
    for (const change of changes) this.applyOne(change, true);
    this.count = count;
  }
  onFrame(frame) {
    if (frame.action !== "subscribe_list") return;
    if (!isSuccess(frame.response_status)) {
      this.fail(new RequestError(frame.response_status, frame.errors, "subscribe_list", frame.request_id, frame.data));
      return;
    }
    this.applyOne(frame.data, false);
  }
  applyOne(change, recovered) {
    applyChange(this.rows, change, this.pkOf);
    if (typeof change.count === "number") {
      this.count = change.count;
      if (this.page) this.page = { ...this.page, count: change.count };
    }
    this.options.onChange?.({ ...change, recovered }, this);
  }
  unsubscribeAction() {
    return "unsubscribe_list";
  }
  failReady(error) {
    this.rejectReady(error);
  }
};

// src/api.ts
var Api = class {
  constructor(transport, streamName) {
    this.streamName = streamName;
    this.transport = transport ?? this;
  }
  /**
   * Send `{action, request_id, ...args}` and resolve with the reply's `data`. A reply with a
   * status outside 2xx rejects with `RequestError`; a dropped connection with `ConnectionLost`;
   * no reply in time with `RequestTimeout`. Custom `@action`s are called this way too.
   */
  async request(action, args = {}, options = {}) {
    const reply = await this.transport.call(this.streamName, action, args, options);
    return reply.data;
  }
  /** `list`: an array, or a page `{count, results, ...}` when the consumer paginates. */
  list(args = {}, options) {
    return this.request("list", args, options);
  }
  retrieve(pk, args = {}, options) {
    return this.request("retrieve", { ...args, pk }, options);
  }
  create(data, args = {}, options) {
    return this.request("create", { ...args, data }, options);
  }
  update(pk, data, args = {}, options) {
    return this.request("update", { ...args, pk, data }, options);
  }
  patch(pk, data, args = {}, options) {
    return this.request("patch", { ...args, pk, data }, options);
  }
  delete(pk, args = {}, options) {
    return this.request("delete", { ...args, pk }, options);
  }
  /**
   * Follow one instance (`subscribe_instance`, then `retrieve`). `callback` hears every later
   * change, including what changed while the connection was down (`recovered: true`).
   */
  subscribeInstance(pk, callback, options = {}) {
    return new InstanceSubscription(this.transport, this.streamName, pk, callback, options);
  }
  /**
   * A live list (`subscribe_list`): `rows` follow the server's list for `message` (its
   * `query`, `limit`, `offset`...), and `onChange` hears each enter/update/leave/count.
   */
  liveList(message = {}, options = {}) {
    return new LiveList(this.transport, this.streamName, message, options);
  }
  /**
   * A streamed list (`StreamedPaginatedListMixin`): iterate its pages with `for await`;
   * `cancel()` (or leaving the loop) sends `list_cancel` for this stream only.
   */
  streamList(message = {}, options = {}) {
    return new ListStream(this.transport, this.streamName, message, options);
  }
};

// src/backoff.ts
var CloseCode = {
  NORMAL: 1e3,
  /** The server refused the handshake or closed for a policy reason. */
  POLICY_VIOLATION: 1008,
  INTERNAL_ERROR: 1011,
  /** The token was refused: retrying with the same credentials cannot succeed. */
  UNAUTHORIZED: 4401,
  /** The client did not read its messages fast enough: reconnect, but back off. */
  TOO_MANY_PENDING: 4429
};
var FATAL_CLOSE_CODES = /* @__PURE__ */ new Set([CloseCode.UNAUTHORIZED]);
function reconnectDelay(attempt, code, options = {}, random = Math.random) {
  const initial = options.initialDelay ?? 250;
  const max = options.maxDelay ?? 1e4;
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  let delay = Math.min(max, initial * factor ** Math.max(0, attempt));
  if (code === CloseCode.TOO_MANY_PENDING) delay = Math.max(delay, options.overloadDelay ?? 5e3);
  return delay * (1 - jitter) + delay * jitter * random();
}

// src/client.ts
var OPEN = 1;
var routeKey = (stream, requestId) => `${stream ?? ""}\0${JSON.stringify(requestId)}`;
function connect(url, options = {}) {
  return new Client(url, options);
}
var Client = class extends Api {
  constructor(url, options = {}) {
    super(null);
    this.url = url;
    this.options = options;
    this.state = "connecting";
    this.socket = null;
    this.pending = /* @__PURE__ */ new Map();
    this.listeners = /* @__PURE__ */ new Map();
    this.recoverables = /* @__PURE__ */ new Set();
    this.handlers = {
      state: /* @__PURE__ */ new Set(),
      frame: /* @__PURE__ */ new Set(),
      error: /* @__PURE__ */ new Set(),
      event: /* @__PURE__ */ new Set()
    };
    this.nextRequestId = 1;
    this.attempt = 0;
    this.everOpened = false;
    this.retryTimer = null;
    // Connection ---------------------------------------------------------------------------
    this.outbox = [];
    const constructor = options.WebSocket ?? globalThis.WebSocket;
    if (!constructor) throw new TypeError("No WebSocket class: pass one as options.WebSocket (in Node 20: the ws package).");
    this.WebSocketClass = constructor;
    this.requestTimeout = options.requestTimeout ?? 3e4;
    void this.open();
  }
  /** The API of one stream of a demultiplexer (`{"stream": name, "payload": ...}` frames). */
  stream(name) {
    return new Api(this, name);
  }
  get isOpen() {
    return this.socket !== null && this.socket.readyState === OPEN;
  }
  /** Listen to `state`, `frame`, `error` or unclaimed `event` frames; returns the remover. */
  on(type, listener) {
    this.handlers[type].add(listener);
    return () => this.handlers[type].delete(listener);
  }
  /** Resolves when the client is `open` (connected, subscriptions re-established). */
  whenOpen() {
    if (this.state === "open") return Promise.resolve();
    if (this.state === "closed") return Promise.reject(new ConnectionClosed(this.lastCloseCode ?? 0));
    return new Promise((resolve, reject) => {
      const off = this.on("state", (event) => {
        if (event.state === "open") {
          off();
          resolve();
        } else if (event.state === "closed") {
          off();
          reject(event.error ?? new ConnectionClosed(0));
        }
      });
    });
  }
  /** Close for good: pending requests reject with `ConnectionClosed`, nothing reconnects. */
  close() {
    this.finish(new ConnectionClosed(0));
  }
  /** Connect now: after `close()`, a refused token (4401), or to skip a back-off delay. */
  reconnect() {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempt = 0;
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      this.detach(socket);
      socket.close(1e3);
      this.lost();
    }
    void this.open();
  }
  // Transport ----------------------------------------------------------------------------
  newRequestId() {
    return this.nextRequestId++;
  }
  call(stream, action, args, options = {}) {
    if (this.state === "closed") return Promise.reject(new ConnectionClosed(this.lastCloseCode ?? 0));
    const requestId = options.requestId ?? this.newRequestId();
    const key = routeKey(stream, requestId);
    const timeout = options.timeout ?? this.requestTimeout;
    return new Promise((resolve, reject) => {
      const previous = this.pending.get(key);
      if (previous) {
        clearTimeout(previous.timer);
        previous.reject(new ConnectionLost(previous.action, requestId));
      }
      const entry = {
        action,
        requestId,
        stream,
        text: this.encode(stream, { ...args, action, request_id: requestId }),
        sent: false,
        resolve,
        reject,
        timer: setTimeout(() => {
          if (this.pending.get(key) === entry) this.pending.delete(key);
          reject(new RequestTimeout(action, requestId, timeout));
        }, timeout)
      };
      this.pending.set(key, entry);
      if (this.isOpen) this.transmit(entry);
    });
  }
  send(stream, message) {
    const text = this.encode(stream, message);
    if (this.isOpen) this.write(text);
    else this.outbox.push(text);
  }
  listen(stream, requestId, handler) {
    const key = routeKey(stream, requestId);
    this.listeners.set(key, handler);
    return () => {
      if (this.listeners.get(key) === handler) this.listeners.delete(key);
    };
  }
  track(item) {
    this.recoverables.add(item);
    return () => this.recoverables.delete(item);
  }
  reportError(error) {
    this.emit("error", error);
  }
  encode(stream, message) {
    return JSON.stringify(stream === void 0 ? message : { stream, payload: message });
  }
  write(text) {
    this.socket.send(text);
    this.emit("frame", { direction: "out", text });
  }
  transmit(entry) {
    entry.sent = true;
    this.write(entry.text);
  }
  setState(event) {
    this.state = event.state;
    this.emit("state", event);
  }
  emit(type, value) {
    for (const listener of [...this.handlers[type]]) {
      try {
        listener(value);
      } catch (error) {
        if (type !== "error") this.emit("error", error);
      }
    }
  }
  async open() {
    this.retryTimer = null;
    if (this.state !== "connecting") {
      this.setState({ state: this.everOpened ? "reconnecting" : "connecting", code: this.lastCloseCode, delay: 0 });
    }
    let protocols = [...this.options.protocols ?? []];
    const { token } = this.options;
    try {
      const key = typeof token === "function" ? await token() : token;
      if (key) protocols = ["token", key, ...protocols];
    } catch (error) {
      this.emit("error", error);
      this.scheduleRetry(0);
      return;
    }
    if (this.state === "closed" || this.socket) return;
    let socket;
    try {
      socket = protocols.length ? new this.WebSocketClass(this.url, protocols) : new this.WebSocketClass(this.url);
    } catch (error) {
      this.emit("error", error);
      this.scheduleRetry(0);
      return;
    }
    this.socket = socket;
    socket.onopen = () => this.opened(socket);
    socket.onmessage = (event) => this.received(String(event.data));
    socket.onerror = () => void 0;
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.detach(socket);
      this.lastCloseCode = event.code;
      if (FATAL_CLOSE_CODES.has(event.code)) {
        this.finish(new ConnectionClosed(event.code, event.reason), true);
      } else {
        this.lost();
        this.scheduleRetry(event.code);
      }
    };
  }
  detach(socket) {
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => void 0;
  }
  async opened(socket) {
    const recovering = this.everOpened;
    this.everOpened = true;
    if (recovering) this.setState({ state: "recovering", code: this.lastCloseCode });
    for (const text of this.outbox.splice(0)) this.write(text);
    for (const entry of this.pending.values()) if (!entry.sent) this.transmit(entry);
    if (recovering) {
      await Promise.all([...this.recoverables].map((item) => item.recover().catch((error) => this.emit("error", error))));
    }
    if (this.socket !== socket || !this.isOpen) return;
    this.attempt = 0;
    this.setState({ state: "open" });
  }
  /** The socket dropped: requests already sent fail, subscriptions wait for recovery. */
  lost() {
    for (const [key, entry] of this.pending) {
      if (!entry.sent) continue;
      this.pending.delete(key);
      clearTimeout(entry.timer);
      entry.reject(new ConnectionLost(entry.action, entry.requestId));
    }
    const error = new ConnectionLost();
    for (const item of [...this.recoverables]) item.drop(error);
  }
  scheduleRetry(code) {
    const settings = this.options.reconnect;
    if (settings === false || this.attempt >= (settings?.maxRetries ?? Infinity)) {
      this.finish(new ConnectionClosed(code));
      return;
    }
    const delay = reconnectDelay(this.attempt++, code, settings ?? {});
    this.setState({ state: "reconnecting", code, delay });
    this.retryTimer = setTimeout(() => void this.open(), delay);
  }
  finish(error, refused = false) {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      this.detach(socket);
      socket.close(1e3);
    }
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(entry.sent && !refused ? new ConnectionLost(entry.action, entry.requestId) : error);
    }
    this.pending.clear();
    this.outbox = [];
    for (const item of [...this.recoverables]) item.drop(error);
    if (this.state !== "closed") this.setState({ state: "closed", code: error.code, error });
    if (error.code !== 0) this.emit("error", error);
  }
  /** Re-establish every subscription and live list on the open socket. */
  async recoverAll() {
    await Promise.all([...this.recoverables].map((item) => item.recover().catch((error) => this.emit("error", error))));
  }
  received(text) {
    this.emit("frame", { direction: "in", text });
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      this.emit("error", new Error(`the server sent a frame that is not JSON: ${text.slice(0, 100)}`));
      return;
    }
    if (frame === null || typeof frame !== "object") return;
    let stream;
    let payload = frame;
    if ("stream" in frame && "payload" in frame) {
      stream = String(frame.stream);
      payload = frame.payload;
      if (payload === null || typeof payload !== "object") return;
    }
    if (payload.action === "live_updates" && payload.data?.state === "resumed") {
      void this.recoverAll();
    }
    const key = routeKey(stream, payload.request_id);
    const entry = this.pending.get(key);
    if (entry && entry.sent && (payload.action === entry.action || payload.action === null)) {
      this.pending.delete(key);
      clearTimeout(entry.timer);
      if (isSuccess(payload.response_status)) entry.resolve(payload);
      else entry.reject(new RequestError(payload.response_status, payload.errors ?? [], entry.action, entry.requestId, payload.data));
      return;
    }
    const listener = this.listeners.get(key);
    if (listener) listener(payload);
    else this.emit("event", stream === void 0 ? payload : { ...payload, stream });
  }
};
export {
  Api,
  Client,
  CloseCode,
  ConnectionClosed,
  ConnectionLost,
  InstanceSubscription,
  ListStream,
  LiveList,
  RequestError,
  RequestTimeout,
  applyChange,
  connect,
  defaultPkOf,
  isLastPage,
  jsonEqual,
  longestIncreasing,
  reconcile,
  reconnectDelay
};
