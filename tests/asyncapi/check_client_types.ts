// Compiled with tsc --strict by tests/test_schema_validation.py next to the demo's generated
// declarations (demo.d.ts) and a copy of the client's sources (client/): the generated types
// plug into the first-party client's typed helpers.
import type { Client } from "./client/index.js";
import type { UserPartial, Ws } from "./demo";

export async function typedCalls(client: Client): Promise<string> {
  const changes: UserPartial = { email: "ada@example.com" };
  const user = await client.patch<Ws.Data<"patch">>(2, changes);
  const again = await client.retrieve<Ws.Data<"retrieve">>(user.id);
  // @ts-expect-error write-only fields never come back
  again.password;
  const subscribed = await client.request<Ws.Data<"subscribe_instance">>("subscribe_instance", { pk: 1 });
  return `${again.username} ${subscribed === null}`;
}
