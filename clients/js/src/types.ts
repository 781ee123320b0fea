/** Shapes shared by the client's modules. */

/** One reply or event frame, as the server sends it. */
export interface Envelope<T = unknown> {
  action: string | null;
  request_id: unknown;
  response_status: number;
  errors: unknown[];
  data: T;
}

/** A JSON object sent as one message (every key but `action` and `request_id` is an argument). */
export type Message = Record<string, unknown>;

/** A page of `PaginatedModelListMixin` (limit/offset) or a DRF paginator. */
export interface Page<Row> {
  results: Row[];
  count?: number;
  limit?: number;
  offset?: number;
  next?: unknown;
  previous?: unknown;
  [key: string]: unknown;
}

/** What the `WebSocket` constructor must provide (the browser's, or `ws` in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export type ConnectionState =
  /** The first connection is being made. */
  | "connecting"
  /** Connected, every subscription is established. */
  | "open"
  /** Connected again after an outage; subscriptions are being re-established. */
  | "recovering"
  /** Disconnected; the next attempt is scheduled (`delay` in the state event). */
  | "reconnecting"
  /** Closed for good: `close()` was called, the token was refused, or retries ran out. */
  | "closed";

/** A state change, for a connection indicator. */
export interface StateEvent {
  state: ConnectionState;
  /** The close code that ended the previous connection, if any. */
  code?: number;
  /** For `reconnecting`: milliseconds until the next attempt. */
  delay?: number;
  /** For `closed`: why (a `ConnectionClosed`). */
  error?: Error;
}

/** A frame sent or received, for protocol logs (`text` is the raw JSON). */
export interface FrameEvent {
  direction: "in" | "out";
  text: string;
}
