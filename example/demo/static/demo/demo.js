// The demo page: a live users table and forms, built on the DCRF client (clients/js), which
// the page loads as an ES module from this folder (dcrf-client.js, a bundle of clients/js).
import { connect, ConnectionLost, RequestError } from "./dcrf-client.js";

const $ = (id) => document.getElementById(id);
const scheme = location.protocol === "https:" ? "wss://" : "ws://";
const client = connect(scheme + location.host + "/ws/", { reconnect: { initialDelay: 250, maxDelay: 5000 } });
window.dcrfClient = client; // for the browser console

// Connection indicator ---------------------------------------------------------------------

const STATE_TEXT = {
  connecting: "connecting…",
  open: "live",
  recovering: "reconnected, catching up…",
  reconnecting: "disconnected, reconnecting…",
  closed: "closed",
};

client.on("state", (event) => {
  const badge = $("status");
  let text = STATE_TEXT[event.state];
  if (event.state === "reconnecting" && event.delay) text = `disconnected, retrying in ${Math.ceil(event.delay / 1000)} s…`;
  if (event.state === "closed" && event.error) text = `closed: ${event.error.message}`;
  badge.textContent = text;
  badge.className = `status ${event.state}`;
  $("reconnect").hidden = event.state !== "reconnecting" && event.state !== "closed";
  if (event.state === "open" && list && list.refresh) list.refresh();
});
$("reconnect").addEventListener("click", () => client.reconnect());

// Protocol log (passwords masked) ------------------------------------------------------------

const SECRET = /password/i;

function mask(value) {
  if (Array.isArray(value)) return value.map(mask);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SECRET.test(key) && typeof item === "string" ? "••••••" : mask(item)]));
}

function addLog(kind, text, status) {
  const entry = document.createElement("pre");
  entry.className = "entry " + kind;
  if (status !== undefined) entry.dataset.status = String(status);
  entry.textContent = text;
  const log = $("log");
  log.prepend(entry);
  while (log.childElementCount > 300) log.lastElementChild.remove();
}

client.on("frame", ({ direction, text }) => {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    addLog("error", (direction === "out" ? "→ " : "← ") + text);
    return;
  }
  const payload = frame && frame.payload && frame.stream ? frame.payload : frame;
  const shown = JSON.stringify(mask(frame));
  if (direction === "out") {
    addLog("sent", "→ " + shown);
  } else {
    const status = payload && payload.response_status;
    addLog(status >= 200 && status < 300 ? "ok" : "error", "← " + shown, status);
  }
});
client.on("error", (error) => addLog("note", String(error.message || error)));
$("log-clear").addEventListener("click", () => $("log").replaceChildren());

// The users table --------------------------------------------------------------------------

const view = { limit: 20, offset: 0, search: "", ordering: "id" };
let mode = null; // "live" (subscribe_list) or "fallback" (list + instance subscriptions)
let list = null;
let selected = null; // {pk, subscription}

function listMessage() {
  const query = { ordering: view.ordering };
  if (view.search) query.search = view.search;
  return { query, limit: view.limit, offset: view.offset };
}

/** Fallback for servers without subscribe_list: list, follow the rows shown, re-list on need. */
class FollowedList {
  constructor(message, onChange) {
    this.message = message;
    this.onChange = onChange;
    this.rows = [];
    this.count = 0;
    this.subscriptions = new Map();
    this.closed = false;
    this.ready = this.refresh().then(() => this);
  }

  async refresh() {
    const page = await client.list(this.message);
    if (this.closed) return;
    this.rows = page.results;
    this.count = page.count;
    const shown = new Set(this.rows.map((row) => row.id));
    for (const [pk, subscription] of this.subscriptions) {
      if (!shown.has(pk)) {
        subscription.close();
        this.subscriptions.delete(pk);
      }
    }
    for (const pk of shown) {
      if (this.subscriptions.has(pk)) continue;
      const subscription = client.subscribeInstance(pk, (event) => this.changed(event), { retrieve: false });
      this.subscriptions.set(pk, subscription);
    }
    this.onChange(null);
  }

  changed(event) {
    if (this.closed) return;
    if (event.type === "delete") {
      this.refresh();
      return;
    }
    const at = this.rows.findIndex((row) => row.id === event.pk);
    if (at >= 0) this.rows[at] = event.data;
    this.onChange({ change: "update", pk: event.pk });
  }

  close() {
    this.closed = true;
    for (const subscription of this.subscriptions.values()) subscription.close();
    this.subscriptions.clear();
  }
}

async function openList() {
  if (list) list.close();
  const message = listMessage();
  let opened;
  const onChange = (change) => {
    if (list === opened) render(change);
  };
  if (mode !== "fallback") {
    opened = client.liveList(message, { onChange, onError: (error) => addLog("note", String(error.message)) });
    list = opened;
    try {
      await opened.ready;
      mode = "live";
    } catch (error) {
      if (!(error instanceof RequestError && error.status === 405)) throw error;
      mode = "fallback";
    }
  }
  if (mode === "fallback") {
    opened = new FollowedList(message, onChange);
    list = opened;
    await opened.ready;
  }
  document.body.dataset.mode = mode;
  $("mode").textContent = mode === "live" ? "(a live list)" : "(listed, rows followed)";
  if (list === opened) render(null);
}

function reopen() {
  openList().catch((error) => addLog("note", "list: " + error.message));
}

function render(change) {
  if (!list) return;
  const count = list.count ?? list.rows.length;
  if (view.offset > 0 && view.offset >= count) {
    // The page emptied (rows deleted or moved out): show the last page that has rows.
    view.offset = Math.max(0, Math.floor((count - 1) / view.limit) * view.limit);
    reopen();
    return;
  }
  const body = $("users").tBodies[0];
  body.replaceChildren();
  for (const user of list.rows) {
    const row = body.insertRow();
    row.dataset.pk = user.id;
    for (const value of [user.id, user.username, user.email]) row.insertCell().textContent = value;
    if (selected && selected.pk === user.id) row.classList.add("selected");
    if (change && change.pk === user.id && change.change !== "leave") row.classList.add("changed");
  }
  const pages = Math.max(1, Math.ceil(count / view.limit));
  const current = Math.floor(view.offset / view.limit) + 1;
  $("page-info").textContent = `page ${current} of ${pages} · ${count} ${count === 1 ? "user" : "users"}`;
  $("page-prev").disabled = view.offset <= 0;
  $("page-next").disabled = view.offset + view.limit >= count;
  for (const header of document.querySelectorAll("th.sortable")) {
    header.classList.toggle("asc", view.ordering === header.dataset.field);
    header.classList.toggle("desc", view.ordering === "-" + header.dataset.field);
  }
}

$("page-prev").addEventListener("click", () => {
  view.offset = Math.max(view.offset - view.limit, 0);
  reopen();
});
$("page-next").addEventListener("click", () => {
  view.offset += view.limit;
  reopen();
});
$("page-size").addEventListener("change", (event) => {
  view.limit = Number(event.target.value);
  view.offset = 0;
  reopen();
});
let searchTimer = null;
$("search").addEventListener("input", (event) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    view.search = event.target.value.trim();
    view.offset = 0;
    reopen();
  }, 250);
});
for (const header of document.querySelectorAll("th.sortable")) {
  header.addEventListener("click", () => {
    const field = header.dataset.field;
    view.ordering = view.ordering === field ? "-" + field : field;
    view.offset = 0;
    reopen();
  });
}

// Forms ----------------------------------------------------------------------------------

function showErrors(form, error) {
  const box = $(form + "-errors");
  for (const input of document.querySelectorAll(`#${form}-form input`)) input.classList.remove("server-invalid");
  if (!error) {
    box.textContent = "";
    return;
  }
  if (error instanceof ConnectionLost) {
    box.textContent = "The connection dropped before the reply: reload the list to see whether it was saved.";
    return;
  }
  if (!(error instanceof RequestError)) {
    box.textContent = String(error.message || error);
    return;
  }
  const messages = [];
  for (const item of error.errors) {
    if (typeof item === "string") {
      messages.push(item);
      continue;
    }
    for (const [field, texts] of Object.entries(item)) {
      const input = $(`${form}-${field}`) || $(`${form}-${field}1`);
      if (input) input.classList.add("server-invalid");
      messages.push(`${field}: ${[].concat(texts).join(" ")}`);
    }
  }
  box.textContent = messages.join(" · ") || `Error ${error.status}`;
}

/** Browser validation plus our rules; reports the first problem and returns false. */
function validate(form, extra) {
  const formElement = $(form + "-form");
  for (const input of formElement.querySelectorAll("input")) {
    input.classList.add("touched");
    input.setCustomValidity("");
  }
  if (extra) extra();
  const invalid = [...formElement.querySelectorAll("input")].find((input) => !input.checkValidity());
  if (invalid) {
    $(form + "-errors").textContent = `${invalid.name}: ${invalid.validationMessage}`;
    invalid.focus();
    return false;
  }
  return true;
}

function clearForm(form) {
  const formElement = $(form + "-form");
  formElement.reset();
  for (const input of formElement.querySelectorAll("input")) input.classList.remove("touched", "server-invalid");
  showErrors(form, null);
}

$("create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = $("create-username");
  username.value = username.value.trim();
  const ok = validate("create", () => {
    if ($("create-password1").value !== $("create-password2").value) $("create-password2").setCustomValidity("The two passwords differ.");
  });
  if (!ok) return;
  const data = { username: username.value, email: $("create-email").value };
  if ($("create-password1").value) {
    data.password1 = $("create-password1").value;
    data.password2 = $("create-password2").value;
  }
  try {
    await client.create(data);
    clearForm("create");
    if (mode === "fallback") list.refresh();
  } catch (error) {
    showErrors("create", error);
  }
});

function select(user) {
  if (selected) selected.subscription.close();
  selected = null;
  if (!user) {
    clearForm("edit");
    render(null);
    return;
  }
  // Follow the selected user: if it is deleted elsewhere, its id leaves the form.
  const subscription = client.subscribeInstance(user.id, (event) => {
    if (event.type === "delete" && selected && selected.pk === user.id) select(null);
  }, { retrieve: false });
  selected = { pk: user.id, subscription };
  showErrors("edit", null);
  $("edit-pk").value = user.id;
  $("edit-username").value = user.username;
  $("edit-email").value = user.email;
  render(null);
}

$("users").tBodies[0].addEventListener("click", (event) => {
  const row = event.target.closest("tr");
  if (!row || !list) return;
  const user = list.rows.find((item) => String(item.id) === row.dataset.pk);
  if (user) select(user);
});

$("edit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!validate("edit")) return;
  const pk = Number($("edit-pk").value);
  try {
    await client.patch(pk, { username: $("edit-username").value.trim(), email: $("edit-email").value });
    select(null);
  } catch (error) {
    showErrors("edit", error);
  }
});

$("delete-submit").addEventListener("click", async () => {
  const pk = Number($("edit-pk").value);
  if (!pk) {
    $("edit-errors").textContent = "Click a row first.";
    return;
  }
  try {
    await client.delete(pk);
    select(null);
    if (mode === "fallback") list.refresh();
  } catch (error) {
    showErrors("edit", error);
  }
});

$("raw-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  let message;
  try {
    message = JSON.parse($("raw-json").value);
  } catch (error) {
    $("raw-errors").textContent = "Not JSON: " + error.message;
    return;
  }
  if (message === null || typeof message !== "object" || typeof message.action !== "string") {
    $("raw-errors").textContent = 'Send an object with an "action" string.';
    return;
  }
  $("raw-errors").textContent = "";
  const { action, request_id: _ignored, ...args } = message;
  try {
    await client.request(action, args);
  } catch (error) {
    $("raw-errors").textContent = String(error.message || error);
  }
});

reopen();
