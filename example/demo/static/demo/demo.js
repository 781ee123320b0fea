// A small console for the demo's UserConsumer: one WebSocket, a form per action, a log.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const WRITES = new Set(["create", "update", "patch", "delete"]);
  const statusBadge = $("status");
  const log = $("log");
  let socket = null;
  let nextRequestId = 1;

  function addLog(kind, text, status) {
    const entry = document.createElement("pre");
    entry.className = "entry " + kind;
    if (status !== undefined) entry.dataset.status = String(status);
    entry.textContent = text;
    log.prepend(entry);
    while (log.childElementCount > 200) log.lastElementChild.remove();
  }

  function setStatus(text, cls) {
    statusBadge.textContent = text;
    statusBadge.className = "status " + cls;
  }

  function sendRaw(text) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      addLog("note", "not connected; message not sent");
      return;
    }
    socket.send(text);
    addLog("sent", "→ " + text);
  }

  function send(message) {
    message.request_id = nextRequestId++;
    sendRaw(JSON.stringify(message));
  }

  function renderUsers(users) {
    const body = $("users").tBodies[0];
    body.replaceChildren();
    for (const user of users) {
      const row = body.insertRow();
      row.dataset.pk = user.id;
      for (const value of [user.id, user.username, user.email]) {
        row.insertCell().textContent = value;
      }
    }
  }

  function onReply(event) {
    let reply;
    try {
      reply = JSON.parse(event.data);
    } catch (err) {
      addLog("error", "← (not JSON) " + event.data);
      return;
    }
    const ok = reply.response_status >= 200 && reply.response_status < 300;
    addLog(ok ? "ok" : "error", "← " + JSON.stringify(reply), reply.response_status);
    if (!ok) return;
    if (reply.action === "list" && Array.isArray(reply.data)) renderUsers(reply.data);
    if (WRITES.has(reply.action)) send({ action: "list" });
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/");
    setStatus("connecting…", "connecting");
    socket.addEventListener("open", () => {
      setStatus("open", "open");
      send({ action: "list" });
    });
    socket.addEventListener("message", onReply);
    socket.addEventListener("close", (event) => {
      setStatus("closed (" + event.code + "), retrying…", "closed");
      addLog("note", "connection closed with code " + event.code);
      setTimeout(connect, 2000);
    });
  }

  function parseData(id) {
    try {
      return JSON.parse($(id).value);
    } catch (err) {
      addLog("error", id + ": " + err.message);
      return undefined;
    }
  }

  function pk(id) {
    return Number($(id).value);
  }

  function onSubmit(formId, build) {
    $(formId).addEventListener("submit", (event) => {
      event.preventDefault();
      const message = build();
      if (message !== undefined) send(message);
    });
  }

  onSubmit("retrieve-form", () => ({ action: "retrieve", pk: pk("retrieve-pk") }));
  onSubmit("create-form", () => {
    const data = { username: $("create-username").value, email: $("create-email").value };
    if ($("create-password1").value || $("create-password2").value) {
      data.password1 = $("create-password1").value;
      data.password2 = $("create-password2").value;
    }
    return { action: "create", data: data };
  });
  for (const name of ["update", "patch"]) {
    onSubmit(name + "-form", () => {
      const data = parseData(name + "-data");
      return data === undefined ? undefined : { action: name, pk: pk(name + "-pk"), data: data };
    });
  }
  onSubmit("delete-form", () => ({ action: "delete", pk: pk("delete-pk") }));
  $("raw-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendRaw($("raw-json").value);
  });
  $("list-submit").addEventListener("click", () => send({ action: "list" }));
  $("log-clear").addEventListener("click", () => log.replaceChildren());
  $("users").tBodies[0].addEventListener("click", (event) => {
    const row = event.target.closest("tr");
    if (!row) return;
    for (const input of document.querySelectorAll("input.pk")) input.value = row.dataset.pk;
  });

  connect();
})();
