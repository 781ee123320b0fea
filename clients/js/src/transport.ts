/** The interface the API helpers and subscriptions use to talk through a client's socket. */

import type { Envelope, Message } from "./types.js";

export interface CallOptions {
  /** Milliseconds to wait for the reply (default: the client's `requestTimeout`). */
  timeout?: number;
  /** Use this request id instead of a new one (subscriptions keep theirs across reconnects). */
  requestId?: unknown;
}

/** Something that must be re-established after a reconnect (a subscription, a stream). */
export interface Recoverable {
  /** Called once the socket is open again; resolves when the state is up to date. */
  recover(): Promise<void>;
  /** Called when the socket drops. */
  drop(error: Error): void;
}

export interface Transport {
  newRequestId(): number;
  /** Send one request and resolve with its reply (rejects on a non-2xx status). */
  call<T>(stream: string | undefined, action: string, args: Message, options?: CallOptions): Promise<Envelope<T>>;
  /** Send a message now, or as soon as the socket is open. */
  send(stream: string | undefined, message: Message): void;
  /** Receive the frames carrying `requestId` on `stream` that are not a pending reply. */
  listen(stream: string | undefined, requestId: unknown, handler: (frame: Envelope) => void): () => void;
  /** Re-establish `item` after every reconnect until the returned function is called. */
  track(item: Recoverable): () => void;
  readonly isOpen: boolean;
  readonly requestTimeout: number;
  /** Report an error that belongs to no request (the client's "error" event). */
  reportError(error: Error): void;
}

export const isSuccess = (status: number): boolean => status >= 200 && status < 300;
