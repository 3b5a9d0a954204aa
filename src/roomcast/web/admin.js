// The server admin page: live numbers polled every 2 s from /api/admin/overview, the rooms,
// the accounts and the audit log, through the admin JSON API (server admins only). Someone
// who is not signed in as an admin gets the login form, which uses the account login API.

const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);

let timer = null;

class Forbidden extends Error {}

async function api(path, options = {}) {
  const init = { credentials: "same-origin", headers: {}, ...options };
  if (init.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(init.body);
  }
  const response = await fetch(path, init);
  if (response.status === 403 || response.status === 401) {
    const body = await response.json().catch(() => null);
    throw new Forbidden(body?.error?.message ?? "forbidden");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
  }
  return response.status === 204 ? null : response.json();
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

function button(label, action, danger = false) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  if (danger) b.className = "danger";
  b.addEventListener("click", () => run(() => action(b)));
  return b;
}

function fill(table, rows, render) {
  const body = $(table).tBodies[0];
  body.replaceChildren(...rows.map((item) => {
    const tr = document.createElement("tr");
    render(tr, item);
    return tr;
  }));
}

function localTime(iso) {
  return new Date(iso).toLocaleString();
}

function latency(part) {
  return part.healthy ? `ok, ${part.latency_ms.toFixed(1)} ms` : "down";
}

async function run(work) {
  $("error").textContent = "";
  try {
    await work();
  } catch (error) {
    if (error instanceof Forbidden) showLogin(error.message);
    else $("error").textContent = error.message;
  }
}

// -- live numbers ------------------------------------------------------------------------------

function showOverview(o) {
  $("t-connections").textContent = o.connections;
  $("t-members").textContent = o.members;
  $("t-rooms").textContent = Object.keys(o.rooms).length;
  $("t-rate").textContent = o.messages_per_second.toFixed(1);
  $("t-slow").textContent = o.slow_consumers_dropped;
  $("t-nodes").textContent = o.nodes.length;
  fill("nodes", o.nodes, (tr, n) => {
    tr.dataset.node = n.node;
    cell(tr, n.node);
    cell(tr, n.version);
    cell(tr, n.connections, "num");
    cell(tr, n.members, "num");
    cell(tr, n.messages_per_second.toFixed(1), "num");
    cell(tr, n.messages_received, "num");
    cell(tr, n.slow_consumers_dropped, "num");
    cell(tr, latency(n.store), n.store.healthy ? "ok" : "bad");
    cell(tr, latency(n.broker), n.broker.healthy ? "ok" : "bad");
    cell(tr, new Date(n.seen_ms).toLocaleTimeString());
  });
}

async function refresh() {
  const [overview, rooms] = await Promise.all([
    api("/api/admin/overview"),
    api("/api/admin/rooms"),
  ]);
  showOverview(overview);
  showRooms(rooms.rooms);
  $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

function poll() {
  clearTimeout(timer);
  run(refresh).finally(() => {
    if (!$("admin").hidden) timer = setTimeout(poll, POLL_MS);
  });
}

// -- rooms -------------------------------------------------------------------------------------

const editing = new Set(); // rooms whose topic field has focus: not redrawn under the typist

function showRooms(rooms) {
  if (editing.size) return;
  fill("rooms", rooms, (tr, r) => {
    tr.dataset.room = r.name;
    cell(tr, r.name);
    cell(tr, r.members, "num");
    cell(tr, r.last_id, "num");
    cell(tr, r.private ? "yes" : "no");
    const topic = cell(tr, "");
    const field = document.createElement("input");
    field.value = r.topic;
    field.setAttribute("aria-label", `Topic of ${r.name}`);
    field.addEventListener("focus", () => editing.add(r.name));
    field.addEventListener("blur", () => editing.delete(r.name));
    topic.append(field);
    const actions = cell(tr, "");
    actions.append(
      button("Set topic", async () => {
        await api(`/api/rooms/${encodeURIComponent(r.name)}/topic`, {
          method: "PUT", body: { topic: field.value },
        });
        editing.delete(r.name);
        await Promise.all([refresh(), loadAudit()]);
      }),
      button("Delete", async (b) => {
        if (b.dataset.armed !== "yes") {
          b.dataset.armed = "yes";
          b.textContent = "Confirm delete";
          return;
        }
        await api(`/api/admin/rooms/${encodeURIComponent(r.name)}`, { method: "DELETE" });
        await Promise.all([refresh(), loadAudit()]);
      }, true),
    );
  });
}

// -- accounts ----------------------------------------------------------------------------------

async function loadAccounts() {
  const search = new FormData($("account-search")).get("search") ?? "";
  const found = await api(`/api/admin/accounts?search=${encodeURIComponent(search)}`);
  fill("accounts", found.accounts, (tr, a) => {
    tr.dataset.account = a.name;
    cell(tr, a.name);
    cell(tr, localTime(a.created));
    cell(tr, a.disabled ? "disabled" : "active", a.disabled ? "bad" : "");
    cell(tr, a.admin_by_setting ? "yes (setting)" : a.admin ? "yes" : "no");
    const change = (flags) => async () => {
      await api(`/api/admin/accounts/${encodeURIComponent(a.id)}`, { method: "PATCH", body: flags });
      await Promise.all([loadAccounts(), loadAudit()]);
    };
    cell(tr, "").append(
      a.disabled
        ? button("Enable", change({ disabled: false }))
        : button("Disable", change({ disabled: true }), true),
      button("Sign out everywhere", async () => {
        await api(`/api/admin/accounts/${encodeURIComponent(a.id)}/signout`, { method: "POST" });
        await loadAudit();
      }),
      a.admin
        ? button("Unmake admin", change({ admin: false }))
        : button("Make admin", change({ admin: true })),
    );
  });
}

// -- audit log ---------------------------------------------------------------------------------

async function loadAudit() {
  const form = new FormData($("audit-filters"));
  const query = new URLSearchParams({ limit: "100" });
  for (const name of ["room", "actor", "action"]) {
    const value = String(form.get(name) ?? "").trim();
    if (value) query.set(name, value);
  }
  for (const name of ["since", "until"]) {
    const value = form.get(name);
    if (value) query.set(name, String(new Date(value).getTime()));
  }
  const log = await api(`/api/audit?${query}`);
  fill("audit", log.entries, (tr, e) => {
    cell(tr, localTime(e.time));
    cell(tr, e.actor);
    cell(tr, e.action);
    cell(tr, e.room);
    cell(tr, e.target);
    cell(tr, e.detail);
  });
}

// -- signing in --------------------------------------------------------------------------------

function showLogin(why) {
  clearTimeout(timer);
  $("admin").hidden = true;
  $("login").hidden = false;
  $("login-why").textContent = why ? `This page is for server admins (${why}).`
    : "This page is for server admins.";
}

async function start() {
  const me = await api("/api/me");
  if (!me.admin) {
    showLogin(me.name ? `${me.name} is not one` : "");
    return;
  }
  $("who").textContent = me.name ? `signed in as ${me.name}` : "API key";
  $("login").hidden = true;
  $("admin").hidden = false;
  await Promise.all([loadAccounts(), loadAudit()]);
  poll();
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $("login-error").textContent = "";
  api("/api/login", {
    method: "POST", body: { name: form.get("name"), password: form.get("password") },
  }).then(() => run(start)).catch((error) => {
    $("login-error").textContent = error.message;
  });
});
$("account-search").addEventListener("submit", (event) => {
  event.preventDefault();
  run(loadAccounts);
});
$("audit-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  run(loadAudit);
});

run(start);
