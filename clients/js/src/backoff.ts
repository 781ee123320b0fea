/** Reconnect delays: exponential back-off with jitter, and the close codes that change it. */

export interface ReconnectOptions {
  /** Delay before the first retry, in ms (default 250). */
  initialDelay?: number;
  /** Upper bound of the delay, in ms (default 10,000). */
  maxDelay?: number;
  /** Growth factor per failed attempt (default 2). */
  factor?: number;
  /** Fraction of each delay that is random, 0..1 (default 0.5): clients do not retry in step. */
  jitter?: number;
  /** Minimum delay after the server closed with 4429 (it was overloaded), in ms (default 5,000). */
  overloadDelay?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  maxRetries?: number;
}

/** Close codes, shared with the server (`djangochannelsrestframework.protocol`). */
export const CloseCode = {
  NORMAL: 1000,
  /** The server refused the handshake or closed for a policy reason. */
  POLICY_VIOLATION: 1008,
  INTERNAL_ERROR: 1011,
  /** The token was refused: retrying with the same credentials cannot succeed. */
  UNAUTHORIZED: 4401,
  /** The client did not read its messages fast enough: reconnect, but back off. */
  TOO_MANY_PENDING: 4429,
} as const;

/** Close codes after which the client does not reconnect by itself. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.UNAUTHORIZED]);

/** The delay before attempt number `attempt` (0 for the first retry) after close `code`. */
export function reconnectDelay(attempt: number, code: number, options: ReconnectOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelay ?? 250;
  const max = options.maxDelay ?? 10_000;
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  let delay = Math.min(max, initial * factor ** Math.max(0, attempt));
  if (code === CloseCode.TOO_MANY_PENDING) delay = Math.max(delay, options.overloadDelay ?? 5_000);
  return delay * (1 - jitter) + delay * jitter * random();
}
