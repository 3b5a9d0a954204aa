// The connection to the server and resuming it: the WebSocket URL with the resume point of the
// first room, the session token, requests matched to their answers by Ref, and the connection
// indicator in the top bar.
//
// Wire protocol (docs/protocol.md): the first room is joined by the WebSocket URL
// (`/ws?room=R&since=N&session=S&nick=X`), further rooms by {"Type":"Join"} (rooms.js); every
// request carries a Ref so its answer or its Error can be matched. Which module answers which
// frame is decided in app.js.

import { showAlert } from "./alerts.js";
import { CLOSE_SESSION_REPLACED, Connection } from "./connection.js";
import { $ } from "./dom.js";
import { GUEST_NICK } from "./format.js";
import { KEY_NICK, KEY_SESSION, save } from "./storage.js";
import { nextRef, state } from "./store.js";

// Close code of a connection whose login ended (logged out, token revoked): sign in again.
const CLOSE_SIGNED_OUT = 4003;
const ACCOUNT_CHANGED = "account changed";

const ui = {
  connection: $("connection"),
  connectionText: $("connection-text"),
  reconnectNow: $("reconnect-now"),
  version: $("version"),
};

function connectUrl() {
  const first = state.rooms.get(state.current) ?? state.rooms.values().next().value;
  // userlist=diff: one full userlist per room on joining, then Presence frames with changes.
  const params = new URLSearchParams({ room: first.name, userlist: "diff" });
  const since = first.resumeSince;
  if (since != null) params.set("since", String(since));
  if (state.session) params.set("session", state.session);
  const askedNick = Boolean(state.wantedNick && !GUEST_NICK.test(state.wantedNick));
  if (askedNick) params.set("nick", state.wantedNick);
  state.link = { firstRoom: first.name, askedNick, status: false };
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws?${params}`;
}

export const connection = new Connection(connectUrl);

connection.addEventListener("state", () => renderConnection());

/** The server may be asked things: the socket is open and its Status has arrived. */
export const ready = () => connection.isOpen && state.link.status;

export function send(frame) {
  return connection.send(frame);
}

/** Send a request whose answer or Error comes back with its Ref; `extra` is kept for that. */
export function request(kind, frame, extra = {}) {
  const ref = nextRef(kind[0]);
  state.requests.set(ref, { kind, ...extra });
  if (!send({ ...frame, Ref: ref })) state.requests.delete(ref);
  return ref;
}

function setSession(token) {
  state.session = token;
  save(sessionStorage, KEY_SESSION, token);
}

/** Signed in or out: reconnect, as who the session cookie now says. */
export function reconnectForAccount() {
  connection.drop(4000, ACCOUNT_CHANGED);
}

/** The link's part of a Status frame: the session token and the server's version. */
export function onStatus(frame) {
  state.link.status = true;
  if (typeof frame.Session === "string") setSession(frame.Session);
  if (frame.Version) {
    ui.version.textContent = `roomcast ${frame.Version}`;
  }
}

/**
 * The link's part of a closed connection: requests in flight are forgotten, and the close code
 * may set the delay of the next attempt. True when the code was one of this module's.
 */
export function linkClosed(detail) {
  state.requests.clear();
  if (detail.code === CLOSE_SESSION_REPLACED) {
    // Another tab took this session over (and its nickname): carry on with a session of our
    // own, under a guest name, rather than take either back and start a tug of war.
    setSession(null);
    state.wantedNick = null;
    save(sessionStorage, KEY_NICK, null);
    showAlert("This chat was opened in another tab; this tab continues with a new session.");
    detail.delay = 250;
    return true;
  }
  if (detail.code === CLOSE_SIGNED_OUT || detail.reason === ACCOUNT_CHANGED) {
    // Signed in or out: reconnect at once, as who the session cookie now says.
    detail.delay = 100;
    return true;
  }
  return false;
}

let countdown = 0;

export function renderConnection() {
  clearInterval(countdown);
  const { state: link, retryAt, attempt } = connection;
  let key = link;
  let text;
  if (link === "open") {
    key = state.link.status ? "connected" : "connecting";
    text = state.link.status ? "Connected" : "Connecting…";
  } else if (link === "connecting") {
    text = attempt > 0 ? "Reconnecting…" : "Connecting…";
  } else if (link === "offline") {
    text = "Offline: waiting for the network";
  } else if (link === "waiting") {
    const tick = () => {
      const seconds = Math.max(1, Math.ceil((retryAt - Date.now()) / 1000));
      ui.connectionText.textContent = `Reconnecting in ${seconds} s`;
    };
    tick();
    countdown = setInterval(tick, 1000);
  } else {
    key = "offline";
    text = "Disconnected";
  }
  if (text !== undefined) ui.connectionText.textContent = text;
  ui.connection.dataset.state = key;
  ui.reconnectNow.hidden = !(link === "waiting" || link === "offline");
}

ui.reconnectNow.addEventListener("click", () => connection.reconnectNow());
