/** The request helpers, bound to one stream of a socket (or to none). */

import { ListStream, type ListStreamOptions } from "./streams.js";
import { InstanceSubscription, LiveList, type InstanceCallback, type InstanceOptions, type LiveListOptions } from "./subscriptions.js";
import type { Pk } from "./reconcile.js";
import type { CallOptions, Transport } from "./transport.js";
import type { Message, Page } from "./types.js";

export type RequestOptions = Pick<CallOptions, "timeout">;

/**
 * `request` and the CRUD helpers for one consumer. The client itself is the API of the socket's
 * consumer; `client.stream(name)` gives the API of one stream of a demultiplexer.
 */
export class Api {
  protected readonly transport: Transport;

  constructor(
    transport: Transport | null,
    /** The demultiplexer stream this API talks to; `undefined` for a plain consumer. */
    readonly streamName?: string,
  ) {
    // The client is its own transport (it passes null: `this` cannot be passed to super()).
    this.transport = transport ?? (this as unknown as Transport);
  }

  /**
   * Send `{action, request_id, ...args}` and resolve with the reply's `data`. A reply with a
   * status outside 2xx rejects with `RequestError`; a dropped connection with `ConnectionLost`;
   * no reply in time with `RequestTimeout`. Custom `@action`s are called this way too.
   */
  async request<T = unknown>(action: string, args: Message = {}, options: RequestOptions = {}): Promise<T> {
    const reply = await this.transport.call<T>(this.streamName, action, args, options);
    return reply.data;
  }

  /** `list`: an array, or a page `{count, results, ...}` when the consumer paginates. */
  list<Row = Record<string, unknown>>(args: Message = {}, options?: RequestOptions): Promise<Row[] | Page<Row>> {
    return this.request("list", args, options);
  }

  retrieve<T = Record<string, unknown>>(pk: Pk, args: Message = {}, options?: RequestOptions): Promise<T> {
    return this.request("retrieve", { ...args, pk }, options);
  }

  create<T = Record<string, unknown>>(data: Message, args: Message = {}, options?: RequestOptions): Promise<T> {
    return this.request("create", { ...args, data }, options);
  }

  update<T = Record<string, unknown>>(pk: Pk, data: Message, args: Message = {}, options?: RequestOptions): Promise<T> {
    return this.request("update", { ...args, pk, data }, options);
  }

  patch<T = Record<string, unknown>>(pk: Pk, data: Message, args: Message = {}, options?: RequestOptions): Promise<T> {
    return this.request("patch", { ...args, pk, data }, options);
  }

  delete(pk: Pk, args: Message = {}, options?: RequestOptions): Promise<null> {
    return this.request("delete", { ...args, pk }, options);
  }

  /**
   * Follow one instance (`subscribe_instance`, then `retrieve`). `callback` hears every later
   * change, including what changed while the connection was down (`recovered: true`).
   */
  subscribeInstance<T = Record<string, unknown>>(pk: Pk, callback: InstanceCallback<T>, options: InstanceOptions = {}): InstanceSubscription<T> {
    return new InstanceSubscription<T>(this.transport, this.streamName, pk, callback, options);
  }

  /**
   * A live list (`subscribe_list`): `rows` follow the server's list for `message` (its
   * `query`, `limit`, `offset`...), and `onChange` hears each enter/update/leave/count.
   */
  liveList<Row = Record<string, unknown>>(message: Message = {}, options: LiveListOptions<Row> = {}): LiveList<Row> {
    return new LiveList<Row>(this.transport, this.streamName, message, options);
  }

  /**
   * A streamed list (`StreamedPaginatedListMixin`): iterate its pages with `for await`;
   * `cancel()` (or leaving the loop) sends `list_cancel` for this stream only.
   */
  streamList<Row = Record<string, unknown>>(message: Message = {}, options: ListStreamOptions = {}): ListStream<Row> {
    return new ListStream<Row>(this.transport, this.streamName, message, options);
  }
}
