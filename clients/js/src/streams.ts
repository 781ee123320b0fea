/** Streamed lists (`StreamedPaginatedListMixin`) as async iterators of pages. */

import { RequestError, RequestTimeout } from "./errors.js";
import { isSuccess, type Recoverable, type Transport } from "./transport.js";
import type { Envelope, Message, Page } from "./types.js";

export interface ListStreamOptions {
  /** Milliseconds to wait for each page (default: the client's `requestTimeout`). */
  timeout?: number;
}

/** Whether `data` is the stream's last page, by the rules the server uses. */
export function isLastPage(data: unknown): boolean {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return true;
  const page = data as Page<unknown>;
  if ("next" in page) return !page.next;
  if (typeof page.count === "number" && typeof page.offset === "number") {
    return !page.limit || page.offset + page.limit >= page.count;
  }
  return true;
}

/**
 * The pages of one streamed `list`, in order. Ends after the last page; throws the
 * `RequestError` that ended the stream, or `ConnectionLost` (a stream is not resumed:
 * start a new one). `cancel()` stops it on the server.
 */
export class ListStream<Row> implements AsyncIterableIterator<Page<Row> | Row[]>, Recoverable {
  readonly requestId: number;
  private readonly pages: (Page<Row> | Row[])[] = [];
  private waiting: { resolve: () => void } | null = null;
  private finished = false;
  private error: Error | null = null;
  private readonly unlisten: () => void;
  private readonly untrack: () => void;
  private readonly timeout: number;

  constructor(
    private readonly transport: Transport,
    private readonly stream: string | undefined,
    message: Message,
    options: ListStreamOptions = {},
  ) {
    this.requestId = transport.newRequestId();
    this.timeout = options.timeout ?? transport.requestTimeout;
    this.unlisten = transport.listen(stream, this.requestId, (frame) => this.onFrame(frame));
    this.untrack = transport.track(this);
    transport.send(stream, { ...message, action: "list", request_id: this.requestId });
  }

  private onFrame(frame: Envelope): void {
    if (frame.action !== "list") return;
    if (!isSuccess(frame.response_status)) {
      this.end(new RequestError(frame.response_status, frame.errors, "list", frame.request_id, frame.data));
      return;
    }
    this.pages.push(frame.data as Page<Row> | Row[]);
    if (isLastPage(frame.data)) this.end(null);
    this.wake();
  }

  private end(error: Error | null): void {
    if (this.finished) return;
    this.finished = true;
    this.error = error;
    this.unlisten();
    this.untrack();
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve();
  }

  drop(error: Error): void {
    this.end(error);
  }

  recover(): Promise<void> {
    return Promise.resolve();
  }

  async next(): Promise<IteratorResult<Page<Row> | Row[]>> {
    while (true) {
      const page = this.pages.shift();
      if (page !== undefined) return { value: page, done: false };
      if (this.finished) {
        if (this.error) {
          const error = this.error;
          this.error = null;
          throw error;
        }
        return { value: undefined, done: true };
      }
      const arrived = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.timeout);
        this.waiting = {
          resolve: () => {
            clearTimeout(timer);
            resolve(true);
          },
        };
      });
      if (!arrived) {
        this.cancel();
        throw new RequestTimeout("list", this.requestId, this.timeout);
      }
    }
  }

  /** Leaving a `for await` loop early cancels the stream. */
  async return(): Promise<IteratorResult<Page<Row> | Row[]>> {
    this.cancel();
    return { value: undefined, done: true };
  }

  /** Stop the stream: `list_cancel` for this request id; pages already received are dropped. */
  cancel(): void {
    if (this.finished) return;
    this.pages.length = 0;
    this.end(null);
    if (this.transport.isOpen) {
      this.transport
        .call(this.stream, "list_cancel", { stream_request_id: this.requestId })
        .catch(() => undefined); // the stream ended anyway, or the socket is gone with it
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
