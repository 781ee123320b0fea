/** Instance subscriptions and live lists: state that survives reconnects. */

import { ConnectionLost, RequestError } from "./errors.js";
import { applyChange, defaultPkOf, jsonEqual, reconcile, type ListChange, type Pk, type PkOf } from "./reconcile.js";
import { isSuccess, type Recoverable, type Transport } from "./transport.js";
import type { Envelope, Message, Page } from "./types.js";

export interface InstanceEvent<T> {
  type: "update" | "delete";
  pk: Pk;
  /** The instance as it is now (`null` after a delete). */
  data: T | null;
  /** What the subscription held before. */
  previous: T | null;
  /** True when the change happened while the connection was down (found on reconnect). */
  recovered: boolean;
}

export type InstanceCallback<T> = (event: InstanceEvent<T>) => void;

export interface InstanceOptions {
  /** Read the instance after subscribing, and after each reconnect (default true). */
  retrieve?: boolean;
  /** A subscription the server refused (403, 404...) or that failed to recover. */
  onError?: (error: Error) => void;
}

/** Shared life cycle: a request id kept for the subscription's life, recovery on reconnect. */
abstract class Subscription implements Recoverable {
  protected readonly requestId: number;
  /** True once `close()` was called or the server refused the subscription. */
  closed = false;
  private inflight = false;
  private readonly unlisten: () => void;
  private readonly untrack: () => void;

  constructor(
    protected readonly transport: Transport,
    protected readonly stream: string | undefined,
    private readonly onError?: (error: Error) => void,
  ) {
    this.requestId = transport.newRequestId();
    this.unlisten = transport.listen(stream, this.requestId, (frame) => this.onFrame(frame));
    this.untrack = transport.track(this);
  }

  protected abstract establish(recovering: boolean): Promise<void>;
  protected abstract onFrame(frame: Envelope): void;
  protected abstract unsubscribeAction(): string;
  protected abstract failReady(error: Error): void;

  /** Run `establish` unless a run is already under way; a lost connection waits for recovery. */
  protected async run(recovering: boolean): Promise<void> {
    if (this.inflight || this.closed) return;
    this.inflight = true;
    try {
      await this.establish(recovering);
    } catch (error) {
      if (error instanceof ConnectionLost) return; // recover() runs again once reconnected
      this.fail(error as Error);
    } finally {
      this.inflight = false;
    }
  }

  recover(): Promise<void> {
    return this.run(true);
  }

  drop(): void {}

  protected fail(error: Error): void {
    this.detach();
    this.failReady(error);
    if (this.onError) this.onError(error);
    else this.transport.reportError(error);
  }

  private detach(): void {
    this.closed = true;
    this.unlisten();
    this.untrack();
  }

  /** Stop following: unsubscribe on the server (when connected) and stop recovering. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.detach();
    if (!this.transport.isOpen) return;
    try {
      await this.transport.call(this.stream, this.unsubscribeAction(), this.unsubscribeArgs(), { requestId: this.requestId });
    } catch {
      // Gone already, or the connection dropped: the server forgets it on disconnect.
    }
  }

  protected unsubscribeArgs(): Message {
    return {};
  }
}

/** One instance followed with `subscribe_instance`; `data` is always its latest state. */
export class InstanceSubscription<T> extends Subscription {
  data: T | null = null;
  deleted = false;
  /** Resolves with the instance once subscribed (and read); rejects if the server refuses. */
  readonly ready: Promise<T | null>;
  private resolveReady!: (data: T | null) => void;
  private rejectReady!: (error: Error) => void;
  private loaded = false;

  constructor(
    transport: Transport,
    stream: string | undefined,
    readonly pk: Pk,
    private readonly callback: InstanceCallback<T>,
    private readonly options: InstanceOptions = {},
  ) {
    super(transport, stream, options.onError);
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    void this.run(false);
  }

  override recover(): Promise<void> {
    return this.deleted ? Promise.resolve() : super.recover();
  }

  protected async establish(recovering: boolean): Promise<void> {
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
        const reply = await this.transport.call<T>(this.stream, "retrieve", { pk: this.pk });
        this.apply(reply.data, recovering, !this.loaded);
      } catch (error) {
        if (!(error instanceof RequestError && error.status === 404)) throw error;
        this.markDeleted(recovering);
      }
    }
    this.loaded = true;
    this.resolveReady(this.data);
  }

  protected onFrame(frame: Envelope): void {
    if (!isSuccess(frame.response_status)) return;
    if (frame.action === "update") this.apply(frame.data as T, false, false);
    else if (frame.action === "delete") this.markDeleted(false);
  }

  private apply(data: T, recovered: boolean, initial: boolean): void {
    if (!this.deleted && jsonEqual(data, this.data)) return;
    const previous = this.data;
    this.data = data;
    this.deleted = false;
    if (initial && previous === null) return; // the first read is what `ready` resolves with
    this.callback({ type: "update", pk: this.pk, data, previous, recovered });
  }

  private markDeleted(recovered: boolean): void {
    if (this.deleted) return;
    const previous = this.data;
    this.deleted = true;
    this.data = null;
    this.callback({ type: "delete", pk: this.pk, data: null, previous, recovered });
  }

  protected unsubscribeAction(): string {
    return "unsubscribe_instance";
  }

  protected override unsubscribeArgs(): Message {
    return { pk: this.pk };
  }

  protected failReady(error: Error): void {
    this.rejectReady(error);
  }
}

/** A change as a live list reports it: the protocol's message plus where it came from. */
export type LiveListChange<Row> = ListChange<Row> & {
  /** True for the changes computed on reconnect from a fresh snapshot. */
  recovered: boolean;
};

export interface LiveListOptions<Row> {
  /** How to read a row's primary key (default: `row.id`, else `row.pk`). */
  pkOf?: PkOf<Row>;
  /** Called after each change has been applied to `rows`. */
  onChange?: (change: LiveListChange<Row>, list: LiveList<Row>) => void;
  /** The server refused the subscription (400, 403...) or it failed to recover. */
  onError?: (error: Error) => void;
}

/** A list kept equal to the server's `list` for the same message (`subscribe_list`). */
export class LiveList<Row> extends Subscription {
  /** The rows, in the server's order (for a paginated list: the page's `results`). */
  rows: Row[] = [];
  /** The total of a paginated list; `undefined` for an unpaginated one. */
  count: number | undefined = undefined;
  /** The page's other keys (`limit`, `offset`, `next`...); `null` when unpaginated. */
  page: Omit<Page<Row>, "results"> | null = null;
  /** Resolves once the first snapshot is in `rows`. */
  readonly ready: Promise<LiveList<Row>>;
  private resolveReady!: (list: LiveList<Row>) => void;
  private rejectReady!: (error: Error) => void;
  private loaded = false;
  private readonly pkOf: PkOf<Row>;

  constructor(
    transport: Transport,
    stream: string | undefined,
    readonly message: Message,
    private readonly options: LiveListOptions<Row> = {},
  ) {
    super(transport, stream, options.onError);
    this.pkOf = options.pkOf ?? defaultPkOf;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    void this.run(false);
  }

  protected async establish(): Promise<void> {
    const reply = await this.transport.call<Row[] | Page<Row>>(this.stream, "subscribe_list", this.message, {
      requestId: this.requestId,
    });
    const snapshot = reply.data;
    const rows = Array.isArray(snapshot) ? snapshot : snapshot.results;
    const count = Array.isArray(snapshot) ? undefined : snapshot.count;
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

  protected onFrame(frame: Envelope): void {
    if (frame.action !== "subscribe_list") return;
    if (!isSuccess(frame.response_status)) {
      this.fail(new RequestError(frame.response_status, frame.errors, "subscribe_list", frame.request_id, frame.data));
      return;
    }
    this.applyOne(frame.data as ListChange<Row>, false);
  }

  private applyOne(change: ListChange<Row>, recovered: boolean): void {
    applyChange(this.rows, change, this.pkOf);
    if (typeof change.count === "number") {
      this.count = change.count;
      if (this.page) this.page = { ...this.page, count: change.count };
    }
    this.options.onChange?.({ ...change, recovered }, this);
  }

  protected unsubscribeAction(): string {
    return "unsubscribe_list";
  }

  protected failReady(error: Error): void {
    this.rejectReady(error);
  }
}
