// Sign-up, log-in and log-out: the account panel of the browser client.
//
// The server keeps the login in an HttpOnly session cookie (this script never sees it); the
// WebSocket upgrade carries the cookie, so after signing in or out the app only has to
// reconnect. `GET /api/me` tells who this browser is signed in as.

const $ = (id) => document.getElementById(id);

/** A JSON request to the REST API; resolves to {ok, status, body}. */
async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    return { ok: false, status: 0, body: { error: { message: "the server cannot be reached" } } };
  }
  let parsed = null;
  if (response.status !== 204) {
    try {
      parsed = await response.json();
    } catch {
      parsed = null;
    }
  }
  return { ok: response.ok, status: response.status, body: parsed };
}

function errorText(reply) {
  const message = reply.body?.error?.message;
  if (reply.status === 429) return "Too many attempts: wait a little and try again.";
  return message ? message[0].toUpperCase() + message.slice(1) : "Something went wrong.";
}

/**
 * Wire the account panel.
 * @param {object} hooks
 *   session(): the current WebSocket session token (lets a guest register its own nickname)
 *   changed(name): called after signing in (the account name) or out (null): reconnect
 */
export function setupAccount({ session, changed }) {
  const ui = {
    form: $("account-form"),
    name: $("account-name"),
    password: $("account-password"),
    error: $("account-error"),
    signUp: $("sign-up"),
    signedIn: $("signed-in"),
    user: $("account-user"),
    logOut: $("log-out"),
  };
  let user = null;

  function render() {
    ui.form.hidden = user !== null;
    ui.signedIn.hidden = user === null;
    ui.user.textContent = user ?? "";
  }

  async function submit(path, extra = {}) {
    ui.error.textContent = "";
    const name = ui.name.value.trim();
    const password = ui.password.value;
    if (!name || !password) {
      ui.error.textContent = "Enter a name and a password.";
      return;
    }
    const reply = await api("POST", path, { name, password, ...extra });
    if (!reply.ok) {
      ui.error.textContent = errorText(reply);
      return;
    }
    ui.password.value = "";
    user = reply.body.name;
    render();
    changed(user);
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit("/api/login");
  });
  ui.signUp.addEventListener("click", () => {
    const token = session();
    submit("/api/register", token ? { session: token } : {});
  });
  ui.logOut.addEventListener("click", async () => {
    const reply = await api("POST", "/api/logout");
    if (!reply.ok && reply.status !== 0) {
      ui.error.textContent = errorText(reply);
      return;
    }
    user = null;
    render();
    changed(null);
  });

  render();
  api("GET", "/api/me").then((reply) => {
    if (reply.ok && reply.body?.name && user === null) {
      user = reply.body.name;
      render();
    }
  });

  return {
    /** The server's word on who this connection is (the Status frame's User). */
    fromStatus(name) {
      user = name ?? null;
      render();
    },
  };
}
