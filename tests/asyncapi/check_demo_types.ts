// Compiled with tsc --strict by tests/test_schema_validation.py next to the demo's generated
// declarations (demo.d.ts): correct messages type-check, wrong ones must not.
import type { Channels, UserRead, Ws } from "./demo";

export const patch: Ws.Actions["patch"]["request"] = {
  action: "patch",
  pk: 2,
  data: { email: "ada@example.com" },
  request_id: 1,
};

// @ts-expect-error the lookup key is a number
export const stringPk: Ws.PatchRequest = { action: "patch", pk: "2", data: {} };

// @ts-expect-error patch needs data
export const noData: Ws.PatchRequest = { action: "patch", pk: 2 };

// @ts-expect-error write-only fields never come back in replies
export const leaked: UserRead = { id: 1, username: "ada", email: "", password: "secret" };

export function onReply(reply: Ws.Actions["patch"]["reply"]): string {
  if (reply.response_status === 200) {
    return reply.data.username;
  }
  // @ts-expect-error error replies carry no data
  reply.data.username;
  return reply.errors.map((error) => JSON.stringify(error)).join(", ");
}

export function onEvent(event: Ws.Event): number | string {
  if (event.action === "update") {
    return event.data.id;
  }
  return String(event.data.pk);
}

export const address: keyof Channels = "/ws/";

// The success data of an action, for a client's typed helpers (client.patch<Ws.Data<"patch">>).
export const patched: Ws.Data<"patch"> = { id: 2, username: "ada", email: "ada@example.com" };
export const deleted: Ws.Data<"delete"> = null;
// @ts-expect-error list answers rows (or a page), not one row
export const listed: Ws.Data<"list"> = { id: 2, username: "ada", email: "" };
