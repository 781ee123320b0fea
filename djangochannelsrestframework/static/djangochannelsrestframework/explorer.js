// The WebSocket API explorer: reads the AsyncAPI schema, lists routes and actions, builds
// a form per action from its JSON Schema (or takes raw JSON), sends frames over a plain
// WebSocket and shows replies and subscription events as they arrive. No framework.
(function () {
  "use strict";

  const root = document.getElementById("explorer");
  const byId = (id) => document.getElementById(id);
  const HISTORY_KEY = "dcrf-explorer-history";
  const HISTORY_SIZE = 30;
  const state = { doc: null, channelId: null, operation: null, ws: null, nextId: 1, requests: new Map() };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== undefined && child !== null) node.append(child);
    }
    return node;
  }

  // Schemas ------------------------------------------------------------------------------

  function resolve(schema) {
    let current = schema || {};
    for (let depth = 0; current && current.$ref && depth < 20; depth++) {
      const parts = current.$ref.replace(/^#\//, "").split("/");
      current = parts.reduce((node, part) => node && node[part.replace(/~1/g, "/").replace(/~0/g, "~")], state.doc) || {};
    }
    return current;
  }

  function typesOf(schema) {
    const type = schema.type;
    return Array.isArray(type) ? type : type ? [type] : [];
  }

  function operationsOf(channelId) {
    const ref = "#/channels/" + channelId;
    return Object.entries(state.doc.operations || {}).filter(([, op]) => op.channel && op.channel.$ref === ref);
  }

  // Status and log ----------------------------------------------------------------------

  function setStatus(kind, text) {
    const status = byId("explorer-status");
    status.className = kind;
    status.textContent = text;
  }

  function logEntry(kind, frame, note) {
    const status = frame && typeof frame === "object" ? frame.response_status : undefined;
    let css = kind;
    if (kind === "reply") css = status >= 400 ? "error" : "ok";
    const parts = [
      kind === "sent" ? "→ sent" : kind === "info" ? "•" : "← " + kind,
      frame && frame.action !== undefined ? String(frame.action) : null,
      status !== undefined ? String(status) : null,
      frame && frame.request_id !== undefined && frame.request_id !== null ? "request_id " + JSON.stringify(frame.request_id) : null,
      note || null,
      new Date().toLocaleTimeString(),
    ].filter(Boolean);
    const entry = el(
      "div",
      {
        class: "entry " + css,
        "data-kind": kind,
        "data-status": status !== undefined ? String(status) : null,
        "data-action": frame && typeof frame.action === "string" ? frame.action : null,
      },
      el("header", {}, parts.join(" · ")),
      frame !== undefined ? el("pre", {}, JSON.stringify(frame, null, 2)) : null
    );
    byId("log").prepend(entry);
  }

  // Connection --------------------------------------------------------------------------

  function disconnect() {
    if (state.ws) {
      const ws = state.ws;
      state.ws = null;
      ws.close(1000);
    }
    byId("connect").textContent = "Connect";
    setStatus("closed", "not connected");
    updateSend();
  }

  function connect() {
    const channel = state.doc.channels[state.channelId];
    let address = channel.address;
    for (const input of document.querySelectorAll("[data-param]")) {
      address = address.replace("{" + input.dataset.param + "}", encodeURIComponent(input.value));
    }
    if (/\{\w+\}/.test(address)) {
      setStatus("error", "fill in the path parameters first");
      return;
    }
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + address;
    const token = byId("token").value.trim();
    // A token travels as the subprotocols ["token", key] (TokenAuthMiddleware); without
    // one the browser's session cookie authenticates.
    const ws = token ? new WebSocket(url, ["token", token]) : new WebSocket(url);
    state.ws = ws;
    setStatus("connecting", "connecting to " + address + "…");
    ws.onopen = () => {
      if (state.ws !== ws) return;
      setStatus("open", "connected to " + address);
      byId("connect").textContent = "Disconnect";
      updateSend();
    };
    ws.onmessage = (event) => received(event.data);
    ws.onclose = (event) => {
      if (state.ws !== ws) return;
      state.ws = null;
      const meanings = channel["x-dcrf-close-codes"] || {};
      const meaning = meanings[String(event.code)] || "";
      setStatus(event.code === 1000 ? "closed" : "error", "closed (" + event.code + ") " + meaning);
      logEntry("info", undefined, "connection closed with code " + event.code + " " + meaning);
      byId("connect").textContent = "Connect";
      updateSend();
    };
  }

  function received(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (error) {
      logEntry("info", text, "not JSON");
      return;
    }
    const pending = state.requests.get(JSON.stringify(frame.request_id));
    let kind = "event";
    if (pending && !pending.replied && frame.action === pending.action) {
      pending.replied = true;
      kind = "reply";
    } else if (frame.request_id === null && frame.errors && frame.errors.length) {
      kind = "reply"; // an error for a frame that named no request
    }
    logEntry(kind, frame);
  }

  // Actions and forms ---------------------------------------------------------------------

  function fillChannels() {
    const select = byId("channel");
    select.textContent = "";
    for (const [id, channel] of Object.entries(state.doc.channels || {})) {
      select.append(el("option", { value: id }, channel.address + " — " + (channel.title || id)));
    }
    select.onchange = () => selectChannel(select.value);
    if (select.options.length) selectChannel(select.value);
    else setStatus("error", "the schema lists no routes");
  }

  function selectChannel(channelId) {
    disconnect();
    state.channelId = channelId;
    const channel = state.doc.channels[channelId];
    const parameters = byId("parameters");
    parameters.textContent = "";
    const names = Object.keys(channel.parameters || {});
    for (const name of names) {
      parameters.append(el("label", {}, name + " ", el("input", { "data-param": name, size: 8 })));
    }
    const nav = byId("actions");
    nav.textContent = "";
    const operations = operationsOf(channelId);
    nav.append(el("h3", {}, "Actions"));
    for (const [id, op] of operations.filter(([, op]) => op.action === "receive")) {
      const button = el("button", { type: "button", "data-action": op.title, title: op.summary || "" }, op.title, el("small", {}, op.summary || ""));
      button.onclick = () => selectOperation(id);
      nav.append(button);
    }
    const events = operations.filter(([, op]) => op.action === "send");
    if (events.length) {
      nav.append(el("h3", {}, "Events"));
      for (const [, op] of events) nav.append(el("p", {}, el("strong", {}, op.title), el("br"), op.summary || ""));
    }
    selectOperation(null);
    if (!names.length) connect();
  }

  function selectOperation(operationId) {
    state.operation = operationId ? state.doc.operations[operationId] : null;
    for (const button of document.querySelectorAll("#actions button")) {
      button.classList.toggle("selected", !!state.operation && button.dataset.action === state.operation.title);
    }
    const form = byId("action-form");
    form.textContent = "";
    byId("form-error").textContent = "";
    if (!state.operation) {
      byId("action-title").textContent = "Pick an action";
      byId("action-description").textContent = "";
      updateSend();
      return;
    }
    const op = state.operation;
    byId("action-title").textContent = op.title;
    const statuses = op["x-dcrf-statuses"] || {};
    const lines = [op.description || op.summary || ""];
    if (statuses.success) lines.push("Replies: " + (statuses.success.join(", ") || "any status") + "; errors: " + (statuses.error || []).join(", "));
    byId("action-description").textContent = lines.filter(Boolean).join("\n\n");
    const payload = resolve(resolve(op.messages[0]).payload);
    buildFields(form, payload, "");
    if (byId("raw-mode").checked) byId("raw").value = JSON.stringify(collect(), null, 2);
    updateSend();
  }

  function buildFields(container, schema, path) {
    const required = schema.required || [];
    for (const [name, rawProperty] of Object.entries(schema.properties || {})) {
      if (!path && name === "action") continue;
      const property = resolve(rawProperty);
      const key = path ? path + "." + name : name;
      const isRequired = required.includes(name);
      if (typesOf(property).includes("object") && Object.keys(property.properties || {}).length) {
        const fieldset = el("fieldset", { "data-object": key, "data-required": isRequired ? "true" : null }, el("legend", { class: isRequired ? "required" : null }, name));
        buildFields(fieldset, property, key);
        container.append(fieldset);
      } else {
        container.append(fieldFor(key, name, property, isRequired));
      }
    }
  }

  function fieldFor(key, name, property, isRequired) {
    const types = typesOf(property);
    let input;
    if (!path(key) && name === "request_id") {
      input = el("input", { name: key, "data-kind": "json-or-string", value: String(state.nextId) });
    } else if (property.enum) {
      input = el("select", { name: key, "data-kind": "json" }, el("option", { value: "" }, ""));
      for (const value of property.enum) input.append(el("option", { value: JSON.stringify(value) }, String(value)));
    } else if (types.includes("boolean")) {
      input = el("select", { name: key, "data-kind": "json" }, el("option", { value: "" }, ""), el("option", { value: "true" }, "true"), el("option", { value: "false" }, "false"));
    } else if (types.includes("integer") || types.includes("number")) {
      input = el("input", { name: key, type: "number", step: types.includes("integer") ? "1" : "any", "data-kind": "number" });
    } else if (types.includes("string")) {
      input = el("input", { name: key, type: "text", "data-kind": "string", maxlength: property.maxLength, placeholder: property.format || "" });
    } else {
      input = el("textarea", { name: key, rows: 2, "data-kind": "json", placeholder: "JSON" });
    }
    input.oninput = input.onchange = () => {
      if (byId("raw-mode").checked) syncRaw();
    };
    const hint = property.description || property.title || "";
    return el("label", { title: hint }, el("span", { class: isRequired ? "required" : null }, name), input);
  }

  function path(key) {
    return key.includes(".");
  }

  function setPath(target, key, value) {
    const parts = key.split(".");
    let node = target;
    for (const part of parts.slice(0, -1)) node = node[part] = node[part] || {};
    node[parts[parts.length - 1]] = value;
  }

  function collect() {
    const message = { action: state.operation.title };
    for (const fieldset of byId("action-form").querySelectorAll("fieldset[data-required]")) {
      setPath(message, fieldset.dataset.object, {});
    }
    for (const input of byId("action-form").querySelectorAll("[name]")) {
      const text = input.value;
      if (text === "") continue;
      let value = text;
      if (input.dataset.kind === "number") value = Number(text);
      else if (input.dataset.kind === "json") {
        try {
          value = JSON.parse(text);
        } catch (error) {
          throw new Error(input.name + ": invalid JSON");
        }
      } else if (input.dataset.kind === "json-or-string") {
        try {
          value = JSON.parse(text);
        } catch (error) {
          value = text;
        }
      }
      setPath(message, input.name, value);
    }
    return message;
  }

  function syncRaw() {
    try {
      byId("raw").value = JSON.stringify(collect(), null, 2);
    } catch (error) {
      byId("form-error").textContent = error.message;
    }
  }

  function updateSend() {
    const open = !!state.ws && state.ws.readyState === WebSocket.OPEN;
    byId("send").disabled = !open || (!state.operation && !byId("raw-mode").checked);
  }

  function send() {
    byId("form-error").textContent = "";
    let message;
    try {
      message = byId("raw-mode").checked ? JSON.parse(byId("raw").value) : collect();
    } catch (error) {
      byId("form-error").textContent = error.message;
      return;
    }
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      byId("form-error").textContent = "not connected";
      return;
    }
    state.ws.send(JSON.stringify(message));
    if (message && typeof message === "object") {
      state.requests.set(JSON.stringify(message.request_id === undefined ? null : message.request_id), { action: message.action, replied: false });
      if (typeof message.request_id === "number" && message.request_id >= state.nextId) state.nextId = message.request_id + 1;
      const idInput = byId("action-form").querySelector('[name="request_id"]');
      if (idInput) idInput.value = String(state.nextId);
    }
    logEntry("sent", message);
    remember(message);
  }

  // History --------------------------------------------------------------------------------

  function loadHistory() {
    try {
      return JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
    } catch (error) {
      return [];
    }
  }

  function remember(message) {
    const history = [{ channel: state.channelId, message }, ...loadHistory()].slice(0, HISTORY_SIZE);
    try {
      localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
    } catch (error) {
      // Private windows may refuse storage; the history then lasts as long as the page.
    }
    showHistory(history);
  }

  function showHistory(history) {
    const list = byId("history");
    list.textContent = "";
    for (const item of history) {
      const entry = el("li", { title: "Load into the raw editor" }, JSON.stringify(item.message));
      entry.onclick = () => {
        byId("raw-mode").checked = true;
        byId("raw").hidden = false;
        byId("raw").value = JSON.stringify(item.message, null, 2);
        updateSend();
      };
      list.append(entry);
    }
  }

  // Wiring ---------------------------------------------------------------------------------

  byId("connect").onclick = () => (state.ws ? disconnect() : connect());
  byId("send").onclick = send;
  byId("clear-log").onclick = () => (byId("log").textContent = "");
  byId("raw-mode").onchange = () => {
    const raw = byId("raw-mode").checked;
    byId("raw").hidden = !raw;
    if (raw && state.operation) syncRaw();
    updateSend();
  };
  showHistory(loadHistory());
  fetch(root.dataset.schemaUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error("the schema answered HTTP " + response.status);
      return response.json();
    })
    .then((doc) => {
      state.doc = doc;
      byId("title").textContent = (doc.info && doc.info.title ? doc.info.title : "WebSocket API") + " explorer";
      fillChannels();
    })
    .catch((error) => setStatus("error", error.message));
})();
