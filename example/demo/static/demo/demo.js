// A small console for the demo's UserConsumer: one WebSocket, a form per action, a log.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const WRITES = new Set(["create", "update", "patch", "delete"]);
  const statusBadge = $("status");
  const log = $("log");
  let socket = null;
  let nextRequestId = 1;
  // The list's paging, search and order, sent with every "list".
  const view = { limit: 20, offset: 0, search: "", ordering: "id" };
  // Users shown in the table are subscribed to, with request id "user-<pk>".
  const subscribed = new Set();

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
    if (message.request_id === undefined) message.request_id = nextRequestId++;
    sendRaw(JSON.stringify(message));
  }

  function listUsers() {
    const query = { ordering: view.ordering };
    if (view.search) query.search = view.search;
    send({ action: "list", limit: view.limit, offset: view.offset, query: query });
  }

  function fillRow(row, user) {
    row.dataset.pk = user.id;
    row.replaceChildren();
    for (const value of [user.id, user.username, user.email]) {
      row.insertCell().textContent = value;
    }
  }

  function renderPager(page) {
    const pages = Math.max(1, Math.ceil(page.count / page.limit));
    const current = Math.floor(page.offset / page.limit) + 1;
    $("page-info").textContent = `page ${current} of ${pages} (${page.count} users)`;
    $("page-prev").disabled = page.offset <= 0;
    $("page-next").disabled = page.offset + page.limit >= page.count;
  }

  function renderOrdering() {
    for (const header of document.querySelectorAll("th.sortable")) {
      const field = header.dataset.field;
      header.classList.toggle("asc", view.ordering === field);
      header.classList.toggle("desc", view.ordering === "-" + field);
    }
  }

  // Keep exactly the users on screen subscribed, so other clients' changes show up here.
  function followShownUsers(users) {
    const shown = new Set(users.map((user) => user.id));
    for (const pk of shown) {
      if (!subscribed.has(pk)) {
        subscribed.add(pk);
        send({ action: "subscribe_instance", pk: pk, request_id: "user-" + pk });
      }
    }
    for (const pk of [...subscribed]) {
      if (!shown.has(pk)) {
        subscribed.delete(pk);
        send({ action: "unsubscribe_instance", pk: pk, request_id: "user-" + pk });
      }
    }
  }

  function renderUsers(data) {
    const users = Array.isArray(data) ? data : data.results;
    if (!Array.isArray(data)) renderPager(data);
    renderOrdering();
    const body = $("users").tBodies[0];
    body.replaceChildren();
    for (const user of users) fillRow(body.insertRow(), user);
    followShownUsers(users);
  }

  // A subscribed user changed somewhere else: update or drop its row in place.
  function onUserEvent(reply) {
    const row = $("users").querySelector(`tbody tr[data-pk="${reply.data.id ?? reply.data.pk}"]`);
    if (reply.action === "update" && row) {
      fillRow(row, reply.data);
      row.classList.remove("changed");
      void row.offsetWidth;
      row.classList.add("changed");
    } else if (reply.action === "delete") {
      subscribed.delete(reply.data.pk);
      listUsers();
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
    if (typeof reply.request_id === "string" && reply.request_id.startsWith("user-")) {
      if (reply.action === "update" || reply.action === "delete") onUserEvent(reply);
      return;
    }
    if (reply.action === "list" && reply.data) renderUsers(reply.data);
    if (WRITES.has(reply.action)) listUsers();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/");
    setStatus("connecting…", "connecting");
    socket.addEventListener("open", () => {
      setStatus("open", "open");
      subscribed.clear();
      listUsers();
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
  $("list-submit").addEventListener("click", listUsers);
  $("page-prev").addEventListener("click", () => {
    view.offset = Math.max(view.offset - view.limit, 0);
    listUsers();
  });
  $("page-next").addEventListener("click", () => {
    view.offset += view.limit;
    listUsers();
  });
  $("page-size").addEventListener("change", (event) => {
    view.limit = Number(event.target.value);
    view.offset = 0;
    listUsers();
  });
  let searchTimer = null;
  $("search").addEventListener("input", (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      view.search = event.target.value.trim();
      view.offset = 0;
      listUsers();
    }, 250);
  });
  for (const header of document.querySelectorAll("th.sortable")) {
    header.addEventListener("click", () => {
      const field = header.dataset.field;
      view.ordering = view.ordering === field ? "-" + field : field;
      view.offset = 0;
      listUsers();
    });
  }
  $("log-clear").addEventListener("click", () => log.replaceChildren());
  $("users").tBodies[0].addEventListener("click", (event) => {
    const row = event.target.closest("tr");
    if (!row) return;
    for (const input of document.querySelectorAll("input.pk")) input.value = row.dataset.pk;
  });

  connect();
})();
