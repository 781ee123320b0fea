/** DCRF client: requests, subscriptions and live lists over one WebSocket that reconnects. */

export { connect, Client, type ConnectOptions } from "./client.js";
export { Api, type RequestOptions } from "./api.js";
export { RequestError, ConnectionLost, RequestTimeout, ConnectionClosed } from "./errors.js";
export { CloseCode, reconnectDelay, type ReconnectOptions } from "./backoff.js";
export { applyChange, reconcile, jsonEqual, longestIncreasing, defaultPkOf, type ListChange, type Pk, type PkOf, type ReconcileOptions } from "./reconcile.js";
export {
  InstanceSubscription,
  LiveList,
  type InstanceCallback,
  type InstanceEvent,
  type InstanceOptions,
  type LiveListChange,
  type LiveListOptions,
} from "./subscriptions.js";
export { ListStream, isLastPage, type ListStreamOptions } from "./streams.js";
export type { ConnectionState, Envelope, FrameEvent, Message, Page, StateEvent, WebSocketConstructor, WebSocketLike } from "./types.js";
