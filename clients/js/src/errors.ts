/** Errors the client rejects with; every one is an `Error` with a stable `name`. */

/** The server answered with a status outside 2xx. */
export class RequestError extends Error {
  override readonly name = "RequestError";
  constructor(
    /** The reply's `response_status` (400, 403, 404, 405, 409, 429, 500...). */
    readonly status: number,
    /** The reply's `errors`: strings, or `{field: [messages]}` objects for serializer errors. */
    readonly errors: unknown[],
    /** The action the request named. */
    readonly action: string,
    /** The request id the client sent (and the server echoed). */
    readonly requestId: unknown,
    /** The reply's `data` (usually `null` for errors). */
    readonly data: unknown = null,
  ) {
    super(`${action} failed with ${status}: ${describe(errors)}`);
  }
}

/** The connection dropped before the reply arrived; the request may or may not have run. */
export class ConnectionLost extends Error {
  override readonly name = "ConnectionLost";
  constructor(
    readonly action: string | null = null,
    readonly requestId: unknown = null,
  ) {
    super(action ? `connection lost before the reply to ${action}` : "connection lost");
  }
}

/** No reply arrived within the request timeout. The request may still run on the server. */
export class RequestTimeout extends Error {
  override readonly name = "RequestTimeout";
  constructor(
    readonly action: string,
    readonly requestId: unknown,
    readonly timeout: number,
  ) {
    super(`no reply to ${action} within ${timeout} ms`);
  }
}

/**
 * The server closed the connection for a reason that retrying will not fix (4401: the token
 * was refused), or the client gave up (`maxRetries`) or was closed.
 */
export class ConnectionClosed extends Error {
  override readonly name = "ConnectionClosed";
  constructor(
    /** The WebSocket close code (4401 for a refused token; 0 when the client was closed). */
    readonly code: number,
    readonly reason: string = "",
  ) {
    super(closeMessage(code, reason));
  }
}

function closeMessage(code: number, reason: string): string {
  if (code === 4401) return "authentication failed (close code 4401): log in again";
  if (code === 0) return "the client is closed";
  return `connection closed with code ${code}${reason ? `: ${reason}` : ""}`;
}

function describe(errors: unknown[]): string {
  if (!Array.isArray(errors) || errors.length === 0) return "no details";
  return errors.map((error) => (typeof error === "string" ? error : JSON.stringify(error))).join("; ");
}
