/** The connection: one WebSocket, request/reply matching, reconnects, and state recovery. */

import { Api } from "./api.js";
import { FATAL_CLOSE_CODES, reconnectDelay, type ReconnectOptions } from "./backoff.js";
import { ConnectionClosed, ConnectionLost, RequestError, RequestTimeout } from "./errors.js";
import { isSuccess, type CallOptions, type Recoverable, type Transport } from "./transport.js";
import type { ConnectionState, Envelope, FrameEvent, Message, StateEvent, WebSocketConstructor, WebSocketLike } from "./types.js";

export interface ConnectOptions {
  /** The `WebSocket` class; default: the global one (browsers, Deno, Node 22+). Node 20: `ws`. */
  WebSocket?: WebSocketConstructor;
  /** Subprotocols to offer. */
  protocols?: string[];
  /**
   * A token for `TokenAuthMiddleware`, offered as the subprotocols `["token", key]` (so it is not
   * written to access logs). A function is called before every connection attempt.
   */
  token?: string | null | (() => string | null | Promise<string | null>);
  /** Milliseconds to wait for a reply (default 30,000). */
  requestTimeout?: number;
  /** Back-off settings, or `false` not to reconnect. */
  reconnect?: ReconnectOptions | false;
}

type Listener<T> = (value: T) => void;

interface EventMap {
  state: StateEvent;
  frame: FrameEvent;
  error: Error;
  /** A frame no request or subscription claimed (custom group events, for instance). */
  event: Envelope & { stream?: string };
}

interface Pending {
  action: string;
  requestId: unknown;
  stream: string | undefined;
  text: string;
  sent: boolean;
  resolve: (reply: Envelope<never>) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

const routeKey = (stream: string | undefined, requestId: unknown): string => `${stream ?? ""}\u0000${JSON.stringify(requestId)}`;

/** Connect to `url` (`ws://` or `wss://`); the client connects at once and reconnects by itself. */
export function connect(url: string, options: ConnectOptions = {}): Client {
  return new Client(url, options);
}

/**
 * A connection to one DCRF endpoint. Requests sent while disconnected wait for the connection
 * (within their timeout); requests in flight when it drops reject with `ConnectionLost` and are
 * never re-sent. Subscriptions and live lists are re-established after every reconnect.
 */
export class Client extends Api implements Transport {
  state: ConnectionState = "connecting";
  readonly requestTimeout: number;
  private socket: WebSocketLike | null = null;
  private readonly WebSocketClass: WebSocketConstructor;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<string, (frame: Envelope) => void>();
  private readonly recoverables = new Set<Recoverable>();
  private readonly handlers: { [K in keyof EventMap]: Set<Listener<EventMap[K]>> } = {
    state: new Set(),
    frame: new Set(),
    error: new Set(),
    event: new Set(),
  };
  private nextRequestId = 1;
  private attempt = 0;
  private everOpened = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private lastCloseCode: number | undefined;

  constructor(
    readonly url: string,
    private readonly options: ConnectOptions = {},
  ) {
    super(null);
    const constructor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!constructor) throw new TypeError("No WebSocket class: pass one as options.WebSocket (in Node 20: the ws package).");
    this.WebSocketClass = constructor;
    this.requestTimeout = options.requestTimeout ?? 30_000;
    void this.open();
  }

  /** The API of one stream of a demultiplexer (`{"stream": name, "payload": ...}` frames). */
  stream(name: string): Api {
    return new Api(this, name);
  }

  get isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN;
  }

  /** Listen to `state`, `frame`, `error` or unclaimed `event` frames; returns the remover. */
  on<K extends keyof EventMap>(type: K, listener: Listener<EventMap[K]>): () => void {
    this.handlers[type].add(listener);
    return () => this.handlers[type].delete(listener);
  }

  /** Resolves when the client is `open` (connected, subscriptions re-established). */
  whenOpen(): Promise<void> {
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
  close(): void {
    this.finish(new ConnectionClosed(0));
  }

  /** Connect now: after `close()`, a refused token (4401), or to skip a back-off delay. */
  reconnect(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempt = 0;
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      this.detach(socket);
      socket.close(1000);
      this.lost();
    }
    void this.open();
  }

  // Transport ----------------------------------------------------------------------------

  newRequestId(): number {
    return this.nextRequestId++;
  }

  call<T>(stream: string | undefined, action: string, args: Message, options: CallOptions = {}): Promise<Envelope<T>> {
    if (this.state === "closed") return Promise.reject(new ConnectionClosed(this.lastCloseCode ?? 0));
    const requestId = options.requestId ?? this.newRequestId();
    const key = routeKey(stream, requestId);
    const timeout = options.timeout ?? this.requestTimeout;
    return new Promise<Envelope<T>>((resolve, reject) => {
      const previous = this.pending.get(key);
      if (previous) {
        clearTimeout(previous.timer);
        previous.reject(new ConnectionLost(previous.action, requestId));
      }
      const entry: Pending = {
        action,
        requestId,
        stream,
        text: this.encode(stream, { ...args, action, request_id: requestId }),
        sent: false,
        resolve: resolve as (reply: Envelope<never>) => void,
        reject,
        timer: setTimeout(() => {
          if (this.pending.get(key) === entry) this.pending.delete(key);
          reject(new RequestTimeout(action, requestId, timeout));
        }, timeout),
      };
      this.pending.set(key, entry);
      if (this.isOpen) this.transmit(entry);
    });
  }

  send(stream: string | undefined, message: Message): void {
    const text = this.encode(stream, message);
    if (this.isOpen) this.write(text);
    else this.outbox.push(text);
  }

  listen(stream: string | undefined, requestId: unknown, handler: (frame: Envelope) => void): () => void {
    const key = routeKey(stream, requestId);
    this.listeners.set(key, handler);
    return () => {
      if (this.listeners.get(key) === handler) this.listeners.delete(key);
    };
  }

  track(item: Recoverable): () => void {
    this.recoverables.add(item);
    return () => this.recoverables.delete(item);
  }

  reportError(error: Error): void {
    this.emit("error", error);
  }

  // Connection ---------------------------------------------------------------------------

  private outbox: string[] = [];

  private encode(stream: string | undefined, message: Message): string {
    return JSON.stringify(stream === undefined ? message : { stream, payload: message });
  }

  private write(text: string): void {
    (this.socket as WebSocketLike).send(text);
    this.emit("frame", { direction: "out", text });
  }

  private transmit(entry: Pending): void {
    entry.sent = true;
    this.write(entry.text);
  }

  private setState(event: StateEvent): void {
    this.state = event.state;
    this.emit("state", event);
  }

  private emit<K extends keyof EventMap>(type: K, value: EventMap[K]): void {
    for (const listener of [...this.handlers[type]]) {
      try {
        listener(value);
      } catch (error) {
        if (type !== "error") this.emit("error", error as Error);
      }
    }
  }

  private async open(): Promise<void> {
    this.retryTimer = null;
    if (this.state !== "connecting") {
      this.setState({ state: this.everOpened ? "reconnecting" : "connecting", code: this.lastCloseCode, delay: 0 });
    }
    let protocols = [...(this.options.protocols ?? [])];
    const { token } = this.options;
    try {
      const key = typeof token === "function" ? await token() : token;
      if (key) protocols = ["token", key, ...protocols];
    } catch (error) {
      this.emit("error", error as Error);
      this.scheduleRetry(0);
      return;
    }
    if (this.state === "closed" || this.socket) return; // closed (or reconnected) meanwhile
    let socket: WebSocketLike;
    try {
      socket = protocols.length ? new this.WebSocketClass(this.url, protocols) : new this.WebSocketClass(this.url);
    } catch (error) {
      this.emit("error", error as Error);
      this.scheduleRetry(0);
      return;
    }
    this.socket = socket;
    socket.onopen = () => this.opened(socket);
    socket.onmessage = (event) => this.received(String(event.data));
    socket.onerror = () => undefined; // a close event follows
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.detach(socket);
      this.lastCloseCode = event.code;
      if (FATAL_CLOSE_CODES.has(event.code)) {
        // Refused at the door (4401): nothing sent on this socket ran; say why, not "lost".
        this.finish(new ConnectionClosed(event.code, event.reason), true);
      } else {
        this.lost();
        this.scheduleRetry(event.code);
      }
    };
  }

  private detach(socket: WebSocketLike): void {
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => undefined;
  }

  private async opened(socket: WebSocketLike): Promise<void> {
    const recovering = this.everOpened;
    this.everOpened = true;
    if (recovering) this.setState({ state: "recovering", code: this.lastCloseCode });
    for (const text of this.outbox.splice(0)) this.write(text);
    for (const entry of this.pending.values()) if (!entry.sent) this.transmit(entry);
    if (recovering) {
      await Promise.all([...this.recoverables].map((item) => item.recover().catch((error: Error) => this.emit("error", error))));
    }
    if (this.socket !== socket || !this.isOpen) return; // dropped again while recovering
    this.attempt = 0;
    this.setState({ state: "open" });
  }

  /** The socket dropped: requests already sent fail, subscriptions wait for recovery. */
  private lost(): void {
    for (const [key, entry] of this.pending) {
      if (!entry.sent) continue;
      this.pending.delete(key);
      clearTimeout(entry.timer);
      entry.reject(new ConnectionLost(entry.action, entry.requestId));
    }
    const error = new ConnectionLost();
    for (const item of [...this.recoverables]) item.drop(error);
  }

  private scheduleRetry(code: number): void {
    const settings = this.options.reconnect;
    if (settings === false || this.attempt >= (settings?.maxRetries ?? Infinity)) {
      this.finish(new ConnectionClosed(code));
      return;
    }
    const delay = reconnectDelay(this.attempt++, code, settings ?? {});
    this.setState({ state: "reconnecting", code, delay });
    this.retryTimer = setTimeout(() => void this.open(), delay);
  }

  private finish(error: ConnectionClosed, refused = false): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      this.detach(socket);
      socket.close(1000);
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
  private async recoverAll(): Promise<void> {
    await Promise.all([...this.recoverables].map((item) => item.recover().catch((error: Error) => this.emit("error", error))));
  }

  private received(text: string): void {
    this.emit("frame", { direction: "in", text });
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.emit("error", new Error(`the server sent a frame that is not JSON: ${text.slice(0, 100)}`));
      return;
    }
    if (frame === null || typeof frame !== "object") return;
    let stream: string | undefined;
    let payload = frame as Envelope;
    if ("stream" in frame && "payload" in frame) {
      stream = String((frame as { stream: unknown }).stream);
      payload = (frame as { payload: Envelope }).payload;
      if (payload === null || typeof payload !== "object") return;
    }
    if (payload.action === "live_updates" && (payload.data as { state?: unknown } | null)?.state === "resumed") {
      // The server's channel layer was down and is back: events of the outage were lost, so
      // re-establish every subscription and live list (each reloads what it shows). The frame
      // is still emitted as an "event" below, for apps that show the state.
      void this.recoverAll();
    }
    const key = routeKey(stream, payload.request_id);
    const entry = this.pending.get(key);
    if (entry && entry.sent && (payload.action === entry.action || payload.action === null)) {
      this.pending.delete(key);
      clearTimeout(entry.timer);
      if (isSuccess(payload.response_status)) entry.resolve(payload as Envelope<never>);
      else entry.reject(new RequestError(payload.response_status, payload.errors ?? [], entry.action, entry.requestId, payload.data));
      return;
    }
    const listener = this.listeners.get(key);
    if (listener) listener(payload);
    else this.emit("event", stream === undefined ? payload : { ...payload, stream });
  }
}
