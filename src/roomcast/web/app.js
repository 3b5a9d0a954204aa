// The roomcast browser client: rooms, messages, people, and the connection that feeds them.
//
// State lives in plain objects (`state`, one `Room` per joined room); the DOM is updated from it
// by small render functions. Every string that comes from the server reaches the page as text.
//
// Wire protocol (docs/protocol.md): the first room is joined by the WebSocket URL
// (`/ws?room=R&since=N&session=S&nick=X`), further rooms by {"Type":"Join"}; every request
// carries a Ref so its answer or its Error can be matched. Chat lines carry a Ref too: an Ack
// confirms them, and after a reconnect unconfirmed lines are sent again with the same Ref (the
// server drops re-sends it has already stored for this session). Each room has at most one
// line in flight, so lines are stored in the order they were typed even when the server
// rate-limits some of them and they have to be sent again.

import { setupAccount } from "./account.js";
import { decodeText, encodeText } from "./codec.js";
import { actionText, HELP, parseInput } from "./commands.js";
import { CLOSE_POLICY_VIOLATION, CLOSE_SESSION_REPLACED, Connection } from "./connection.js";
import {
  formatDay,
  formatFull,
  formatTime,
  frameDate,
  hueFor,
  initial,
  linkify,
  MAX_NICK_CHARS,
  mentions,
  normaliseRoom,
  sameDay,
} from "./format.js";

const DEFAULT_ROOM = "default";
const HISTORY_PAGE = 50;
const GROUP_GAP_MS = 5 * 60_000;
const SETTLE_MS = 4_000;
const DIRECTORY_POLL_MS = 20_000;
const NEAR_BOTTOM_PX = 48;
const NEAR_TOP_PX = 240;
const ALERT_MS = 10_000;
const GUEST = /^guest-[0-9a-z]+$/i;

const KEY_SESSION = "roomcast.session";
const KEY_ROOMS = "roomcast.rooms";
const KEY_NICK = "roomcast.nick";
// Close code of a connection whose login ended (logged out, token revoked): sign in again.
const CLOSE_SIGNED_OUT = 4003;
const ACCOUNT_CHANGED = "account changed";

const $ = (id) => document.getElementById(id);
const ui = {
  app: $("app"),
  log: $("log"),
  roomTitle: $("room-title"),
  roomMeta: $("room-meta"),
  connection: $("connection"),
  connectionText: $("connection-text"),
  reconnectNow: $("reconnect-now"),
  leaveRoom: $("leave-room"),
  toggleRooms: $("toggle-rooms"),
  togglePeople: $("toggle-people"),
  peopleBadge: $("people-badge"),
  roomsPanel: $("rooms-panel"),
  peoplePanel: $("people-panel"),
  scrim: $("scrim"),
  myRooms: $("my-rooms"),
  allRooms: $("all-rooms"),
  refreshRooms: $("refresh-rooms"),
  joinForm: $("join-form"),
  joinInput: $("join-input"),
  joinError: $("join-error"),
  nickForm: $("nick-form"),
  nickInput: $("nick-input"),
  nickError: $("nick-error"),
  version: $("version"),
  newMarker: $("new-marker"),
  newMarkerText: $("new-marker-text"),
  alert: $("alert"),
  alertText: $("alert-text"),
  alertClose: $("alert-close"),
  composer: $("composer"),
  input: $("composer-input"),
  people: $("people"),
  peopleCount: $("people-count"),
};

// -- storage (per tab: sessionStorage; the preferred nickname is shared: localStorage) ----------

function load(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

function save(storage, key, value) {
  try {
    if (value == null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // Storage can be full or disabled; the client works without it.
  }
}

// -- state -------------------------------------------------------------------------------------

const pageId = Math.random().toString(36).slice(2, 10);
let refCounter = 0;
const nextRef = (kind) => `${kind}.${pageId}.${(refCounter += 1)}`;

const state = {
  session: load(sessionStorage, KEY_SESSION),
  nick: null,
  wantedNick: load(sessionStorage, KEY_NICK) || load(localStorage, KEY_NICK),
  version: "",
  rooms: new Map(),
  current: null,
  requests: new Map(), // Ref -> {kind, room?, name?, fromForm?}
  pending: new Map(), // Ref -> pending line
  ackedIds: new Map(), // "room\nid" -> pending line acknowledged before its Chat arrived
  directory: [],
  // per connection
  link: { firstRoom: null, askedNick: false, status: false },
};

class Room {
  constructor(name) {
    this.name = name;
    this.status = "joining"; // "joining" | "joined"
    this.ids = new Set();
    this.minId = Infinity;
    this.maxId = 0;
    this.joinedLastId = null;
    this.readMark = 0;
    this.unread = 0;
    this.hasMore = null; // null: not asked yet
    this.loadingOlder = false;
    this.users = [];
    this.usersKnown = false;
    this.settling = false;
    this.settleTimer = 0;
    this.usersBeforeDrop = null;
    this.atBottom = true;
    this.savedFromBottom = 0;
    this.el = document.createElement("section");
    this.el.className = "room-view";
    this.el.dataset.room = name;
    this.el.hidden = true;
    this.top = document.createElement("div");
    this.top.className = "history-top";
    this.list = document.createElement("ol");
    this.list.className = "messages";
    this.pendingList = document.createElement("ol");
    this.pendingList.className = "messages pending-messages";
    this.el.append(this.top, this.list, this.pendingList);
  }

  /** The last message ID this client holds: where a reconnect resumes from. */
  get resumeSince() {
    if (this.maxId > 0) return this.maxId;
    return this.joinedLastId;
  }

  get canLoadOlder() {
    if (this.hasMore !== null) return this.hasMore;
    return this.minId !== Infinity && this.minId > 1;
  }
}

const currentRoom = () => state.rooms.get(state.current) ?? null;

// -- connection ----------------------------------------------------------------------------------

function connectUrl() {
  if (state.rooms.size === 0) addRoom(DEFAULT_ROOM);
  const first = state.rooms.get(state.current) ?? state.rooms.values().next().value;
  // userlist=diff: one full userlist per room on joining, then Presence frames with changes.
  const params = new URLSearchParams({ room: first.name, userlist: "diff" });
  const since = first.resumeSince;
  if (since != null) params.set("since", String(since));
  if (state.session) params.set("session", state.session);
  const askedNick = Boolean(state.wantedNick && !GUEST.test(state.wantedNick));
  if (askedNick) params.set("nick", state.wantedNick);
  state.link = { firstRoom: first.name, askedNick, status: false };
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws?${params}`;
}

const connection = new Connection(connectUrl);

connection.addEventListener("frame", (event) => handleFrame(event.detail));
connection.addEventListener("state", () => renderConnection());
connection.addEventListener("closed", (event) => {
  const detail = event.detail;
  const hadStatus = state.link.status;
  for (const room of state.rooms.values()) {
    if (room.status === "joined" && room.usersKnown && !room.usersBeforeDrop) {
      room.usersBeforeDrop = room.users;
    }
    room.status = "joining";
    room.loadingOlder = false;
  }
  for (const line of state.pending.values()) {
    if (line.status === "sent") line.status = "queued";
  }
  state.requests.clear();
  if (detail.code === CLOSE_SESSION_REPLACED) {
    // Another tab took this session over (and its nickname): carry on with a session of our
    // own, under a guest name, rather than take either back and start a tug of war.
    setSession(null);
    state.wantedNick = null;
    save(sessionStorage, KEY_NICK, null);
    showAlert("This chat was opened in another tab; this tab continues with a new session.");
    detail.delay = 250;
  } else if (detail.code === CLOSE_SIGNED_OUT || detail.reason === ACCOUNT_CHANGED) {
    // Signed in or out: reconnect at once, as who the session cookie now says.
    detail.delay = 100;
  } else if (detail.code === CLOSE_POLICY_VIOLATION && !hadStatus) {
    const bad = state.link.firstRoom;
    showAlert(`Could not open #${bad}: ${detail.reason || "refused by the server"}`);
    removeRoom(bad);
    detail.delay = 250;
  }
});

const account = setupAccount({
  session: () => state.session,
  changed(name) {
    // Signed in: take the account's name. Signed out: a guest name comes back.
    state.wantedNick = name;
    save(localStorage, KEY_NICK, name);
    if (name) ui.nickInput.value = name;
    connection.drop(4000, ACCOUNT_CHANGED);
  },
});

function setSession(token) {
  state.session = token;
  save(sessionStorage, KEY_SESSION, token);
}

function send(frame) {
  return connection.send(frame);
}

function request(kind, frame, extra = {}) {
  const ref = nextRef(kind[0]);
  state.requests.set(ref, { kind, ...extra });
  if (!send({ ...frame, Ref: ref })) state.requests.delete(ref);
  return ref;
}

// -- incoming frames ---------------------------------------------------------------------------

function handleFrame(frame) {
  switch (frame.Type) {
    case "Status":
      return onStatus(frame);
    case "Joined":
      return onJoined(frame);
    case "Chat":
      return onChat(frame);
    case "userlist":
      return onUserlist(frame);
    case "Presence":
      return onPresence(frame);
    case "History":
      return onHistory(frame);
    case "Ack":
      return onAck(frame);
    case "Nick":
      return onNick(frame);
    case "Left":
      return onLeft(frame);
    case "Error":
      return onError(frame);
    case "Deleted":
      return onDeleted(frame);
    case "Kicked":
      return onKicked(frame);
    default:
      return undefined; // Pong and types this client does not know.
  }
}

function onDeleted(frame) {
  const room = state.rooms.get(frame.Room);
  if (!room || !Number.isSafeInteger(frame.ID)) return;
  for (const li of room.el.querySelectorAll("li.msg")) {
    if (li.dataset.id === String(frame.ID)) li.remove();
  }
}

function onKicked(frame) {
  const verb = frame.Banned ? "banned you from" : "removed you from";
  const why = frame.Reason ? `: ${frame.Reason}` : "";
  showAlert(`${frame.By || "A moderator"} ${verb} #${frame.Room}${why}`);
  removeRoom(frame.Room);
}

function onStatus(frame) {
  state.link.status = true;
  if (typeof frame.Session === "string") setSession(frame.Session);
  if (frame.Version) {
    state.version = frame.Version;
    ui.version.textContent = `roomcast ${frame.Version}`;
  }
  setNick(frame.Nick);
  account.fromStatus(frame.User);
  renderConnection();
  // The URL joined the first room; every other room is joined again here, resuming from the
  // last message this page has.
  for (const room of state.rooms.values()) {
    if (room.name !== state.link.firstRoom) joinOnServer(room);
  }
}

function joinOnServer(room) {
  const frame = { Type: "Join", Room: room.name };
  const since = room.resumeSince;
  if (since != null) frame.Since = since;
  request("join", frame, { room: room.name });
}

function onJoined(frame) {
  const room = state.rooms.get(frame.Room);
  if (frame.Ref) state.requests.delete(frame.Ref);
  if (!room) {
    send({ Type: "Leave", Room: frame.Room }); // left while the join was on its way
    return;
  }
  const lastId = Number(frame.LastID) || 0;
  const fresh = room.joinedLastId === null;
  if (!fresh && lastId < room.maxId) {
    // The server's history is shorter than what we hold: it was reset. Start the room over
    // from its newest page.
    resetRoom(room);
    room.readMark = lastId;
    addNotice(room, ["The server's history was reset; showing what it has now."]);
    room.loadingOlder = true;
    const newest = { Type: "History", Room: room.name, Limit: HISTORY_PAGE };
    request("history", newest, { room: room.name });
  }
  if (fresh) room.readMark = lastId;
  room.joinedLastId = lastId;
  room.status = "joined";
  // The history that follows Joined is still arriving: judge whether the view is full after it.
  room.backlogRemaining = Number(frame.Backlog) || 0;
  if (frame.Truncated) {
    addNotice(room, ["You were away a long time: not every message since then is shown."]);
  }
  if (room.usersBeforeDrop) {
    room.settling = true;
    clearTimeout(room.settleTimer);
    room.settleTimer = setTimeout(() => settle(room), SETTLE_MS);
  }
  pump(room);
  updateHistoryTop(room);
  renderMyRooms();
  scheduleDirectoryRefresh();
}

function onChat(frame) {
  const room = state.rooms.get(frame.Room ?? state.link.firstRoom);
  if (!room) return;
  addMessage(room, frame);
  if (room.backlogRemaining > 0) {
    room.backlogRemaining -= 1;
    if (room.backlogRemaining === 0 && room === currentRoom()) fillViewport(room);
  }
}

function onHistory(frame) {
  if (frame.Ref) state.requests.delete(frame.Ref);
  const room = state.rooms.get(frame.Room);
  if (!room) return;
  room.loadingOlder = false;
  const messages = Array.isArray(frame.Messages) ? frame.Messages : [];
  prependHistory(room, messages);
  room.hasMore = Boolean(frame.More) && messages.length > 0;
  updateHistoryTop(room);
  if (room === currentRoom()) fillViewport(room);
}

function onAck(frame) {
  const line = state.pending.get(frame.Ref);
  if (!line) return;
  const room = state.rooms.get(line.room);
  if (!room || room.ids.has(frame.ID)) {
    dropPending(line);
  } else {
    line.status = "acked";
    state.ackedIds.set(`${line.room}\n${frame.ID}`, line);
  }
  if (room) pump(room);
}

function onNick(frame) {
  const req = frame.Ref ? state.requests.get(frame.Ref) : null;
  if (frame.Ref) state.requests.delete(frame.Ref);
  setNick(frame.Name);
  if (req) {
    ui.nickError.textContent = "";
    state.wantedNick = frame.Name;
    save(sessionStorage, KEY_NICK, frame.Name);
    save(localStorage, KEY_NICK, frame.Name);
  }
}

function onLeft(frame) {
  if (frame.Ref) state.requests.delete(frame.Ref);
}

function onError(frame) {
  const message = capitalise(String(frame.Message ?? frame.Code ?? "Something went wrong"));
  const ref = frame.Ref;
  const line = ref != null ? state.pending.get(ref) : null;
  if (line) {
    if (frame.Code === "rate_limited") {
      holdPending(line, Number(frame.RetryAfter) || 1);
      showAlert(message);
    } else {
      failPending(line, message);
    }
    const room = state.rooms.get(line.room);
    if (room) pump(room);
    return;
  }
  const req = ref != null ? state.requests.get(ref) : null;
  if (ref != null) state.requests.delete(ref);
  const nickCode = typeof frame.Code === "string" && frame.Code.startsWith("nick_");
  if (req?.kind === "nick" || (ref == null && nickCode)) {
    if (ref == null && frame.Code === "nick_reserved" && !state.link.askedNick) {
      // The server tries to give a returning guest its old guest name back and refuses it;
      // the new guest name in Status stands, there is nothing for the user to do.
      return;
    }
    ui.nickError.textContent = message;
    if (!req) state.wantedNick = state.nick;
    showAlert(message);
    return;
  }
  if (req?.kind === "join" && frame.Code === "rate_limited") {
    const room = state.rooms.get(req.room);
    const retry = () => {
      if (room && state.rooms.get(req.room) === room && room.status === "joining") {
        if (connection.isOpen && state.link.status) joinOnServer(room);
      }
    };
    setTimeout(retry, Math.max(250, (Number(frame.RetryAfter) || 1) * 1000));
    return;
  }
  if (req?.kind === "join") {
    const room = state.rooms.get(req.room);
    if (room && room.joinedLastId === null) removeRoom(req.room);
    if (req.fromForm) ui.joinError.textContent = message;
    showAlert(`Could not join #${req.room}: ${message}`);
    return;
  }
  if (req?.kind === "history") {
    const room = state.rooms.get(req.room);
    if (room) room.loadingOlder = false;
  }
  showAlert(message);
}

function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

// -- nickname ------------------------------------------------------------------------------------

function setNick(name) {
  if (typeof name !== "string" || !name) return;
  state.nick = name;
  if (document.activeElement !== ui.nickInput) ui.nickInput.value = name;
  if (!GUEST.test(name)) save(sessionStorage, KEY_NICK, name);
  renderPeople();
}

function requestNick(raw) {
  const name = raw.trim();
  ui.nickError.textContent = "";
  if (!name) {
    ui.nickError.textContent = "Type a nickname first.";
    return false;
  }
  if ([...name].length > MAX_NICK_CHARS) {
    ui.nickError.textContent = `A nickname has at most ${MAX_NICK_CHARS} characters.`;
    return false;
  }
  if (name === state.nick) return true;
  if (!connection.isOpen || !state.link.status) {
    state.wantedNick = name;
    showAlert(`You will be ${name} once the connection is back.`);
    return true;
  }
  request("nick", { Type: "Nick", Name: name }, { name });
  return true;
}

// -- rooms ---------------------------------------------------------------------------------------

function addRoom(name) {
  const room = new Room(name);
  state.rooms.set(name, room);
  ui.log.append(room.el);
  updateHistoryTop(room);
  persistRooms();
  return room;
}

function persistRooms() {
  save(sessionStorage, KEY_ROOMS, JSON.stringify([...state.rooms.keys()]));
}

/** Join (or create) a room, or switch to it when this page is already in it. */
function openRoom(rawName, { fromForm = false } = {}) {
  const name = normaliseRoom(rawName);
  if (!name) {
    const shown = rawName.trim();
    const message = `"${shown}" is not a room name: use letters, digits, "_", "." and "-".`;
    if (fromForm) ui.joinError.textContent = message;
    else showAlert(message);
    return false;
  }
  let room = state.rooms.get(name);
  if (!room) {
    room = addRoom(name);
    if (connection.isOpen && state.link.status) {
      request("join", { Type: "Join", Room: name }, { room: name, fromForm });
    }
  }
  switchTo(name);
  return true;
}

function leaveRoom(name) {
  const room = state.rooms.get(name);
  if (!room) {
    showAlert(`You are not in #${name}.`);
    return;
  }
  if (state.rooms.size === 1) {
    showAlert("This is your only room: join another one before leaving it.");
    return;
  }
  if (connection.isOpen && room.status === "joined") {
    request("leave", { Type: "Leave", Room: name }, { room: name });
  }
  removeRoom(name);
}

function removeRoom(name) {
  const room = state.rooms.get(name);
  if (!room) return;
  for (const line of [...state.pending.values()]) {
    if (line.room === name) dropPending(line);
  }
  room.el.remove();
  state.rooms.delete(name);
  if (state.rooms.size === 0) addRoom(DEFAULT_ROOM);
  persistRooms();
  if (state.current === name) {
    state.current = null;
    switchTo(state.rooms.keys().next().value);
  } else {
    renderMyRooms();
  }
  scheduleDirectoryRefresh();
}

function switchTo(name) {
  const previous = currentRoom();
  const room = state.rooms.get(name);
  if (!room) return;
  if (previous && previous !== room) {
    previous.savedFromBottom = ui.log.scrollHeight - ui.log.scrollTop;
    previous.el.hidden = true;
  }
  state.current = name;
  room.el.hidden = false;
  if (room.atBottom) ui.log.scrollTop = ui.log.scrollHeight;
  else ui.log.scrollTop = ui.log.scrollHeight - room.savedFromBottom;
  const hash = `#/room/${encodeURIComponent(name)}`;
  if (location.hash !== hash || location.search) {
    history.replaceState(null, "", `${location.pathname}${hash}`);
  }
  ui.roomTitle.replaceChildren(hashName(name));
  ui.input.placeholder = `Message #${name}`;
  closeDrawer();
  renderPeople();
  renderMyRooms();
  renderDirectory();
  renderMarker();
  markRead(room);
  fillViewport(room);
}

function hashName(name) {
  const fragment = document.createDocumentFragment();
  const hash = document.createElement("span");
  hash.className = "hash";
  hash.setAttribute("aria-hidden", "true");
  hash.textContent = "#";
  const label = document.createElement("bdi");
  label.textContent = name;
  fragment.append(hash, label);
  return fragment;
}

function roomFromLocation() {
  const match = /^#\/room\/(.+)$/.exec(location.hash);
  if (match) {
    try {
      return decodeURIComponent(match[1]);
    } catch {
      return match[1];
    }
  }
  return new URLSearchParams(location.search).get("room");
}

function cycleRoom(step) {
  const names = [...state.rooms.keys()];
  const index = names.indexOf(state.current);
  switchTo(names[(index + step + names.length) % names.length]);
}

function resetRoom(room) {
  room.list.replaceChildren();
  room.ids.clear();
  room.minId = Infinity;
  room.maxId = 0;
  room.readMark = 0;
  room.unread = 0;
  room.hasMore = null;
}

// -- messages ------------------------------------------------------------------------------------

function addMessage(room, frame) {
  const id = Number(frame.ID);
  const hasId = Number.isSafeInteger(id) && id > 0;
  if (hasId && room.ids.has(id)) return;
  const li = renderMessage(frame);
  if (hasId) {
    room.ids.add(id);
    if (id > room.maxId || room.maxId === 0) room.list.append(li);
    else insertInOrder(room, li, id);
    room.maxId = Math.max(room.maxId, id);
    room.minId = Math.min(room.minId, id);
    const acked = state.ackedIds.get(`${room.name}\n${id}`);
    if (acked) dropPending(acked);
  } else {
    room.list.append(li);
  }
  decorate(li);
  decorate(li.nextElementSibling);
  const own = frame.Author === state.nick;
  const isCurrent = room === currentRoom();
  const seenNow = isCurrent && room.atBottom && !document.hidden;
  if (hasId && id > room.readMark && !own && !seenNow) {
    room.unread += 1;
    renderMyRooms();
  }
  if (isCurrent) {
    if (own || room.atBottom) stickToBottom(room);
    else renderMarker();
  }
  updateHistoryTop(room);
}

function insertInOrder(room, li, id) {
  let after = room.list.lastElementChild;
  while (after && !(after.dataset.id && Number(after.dataset.id) < id)) {
    after = after.previousElementSibling;
  }
  if (after) after.after(li);
  else room.list.prepend(li);
}

function prependHistory(room, frames) {
  const fresh = frames.filter((f) => Number.isSafeInteger(f.ID) && !room.ids.has(f.ID));
  if (fresh.length === 0) return;
  const isCurrent = room === currentRoom() && !room.el.hidden;
  const fromBottom = ui.log.scrollHeight - ui.log.scrollTop;
  const oldFirst = room.list.firstElementChild;
  const fragment = document.createDocumentFragment();
  const items = [];
  for (const frame of fresh) {
    const li = renderMessage(frame);
    room.ids.add(frame.ID);
    room.minId = Math.min(room.minId, frame.ID);
    room.maxId = Math.max(room.maxId, frame.ID);
    fragment.append(li);
    items.push(li);
  }
  room.list.prepend(fragment);
  for (const li of items) decorate(li);
  decorate(oldFirst);
  if (isCurrent) ui.log.scrollTop = ui.log.scrollHeight - fromBottom;
}

function renderMessage(frame) {
  const author = typeof frame.Author === "string" && frame.Author ? frame.Author : "anonymous";
  const text = decodeText(frame.Message);
  const date = frameDate(frame);
  const action = actionText(text);
  const li = document.createElement("li");
  li.className = "msg";
  if (Number.isSafeInteger(frame.ID)) li.dataset.id = String(frame.ID);
  li.dataset.author = author;
  li.dataset.ts = String(date.getTime());
  li.style.setProperty("--hue", String(hueFor(author)));
  if (frame.WSID === "system" && author === "system") li.classList.add("system-post");
  if (action !== null) li.classList.add("action");
  if (author === state.nick) li.classList.add("own");
  else if (mentions(text, state.nick)) li.classList.add("mention");

  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.setAttribute("aria-hidden", "true");
  avatar.textContent = initial(author);

  const body = document.createElement("div");
  body.className = "msg-body";
  const meta = document.createElement("div");
  meta.className = "meta";
  const who = document.createElement("bdi");
  who.className = "author";
  who.textContent = author;
  meta.append(who, " ", timeElement(date));

  const content = document.createElement("div");
  content.className = "text";
  content.dir = "auto";
  if (action !== null) {
    const actor = document.createElement("bdi");
    actor.className = "actor";
    actor.textContent = author;
    content.append("* ", actor, " ", linkify(action));
  } else {
    content.append(linkify(text));
  }
  body.append(meta, content);
  li.append(avatar, body);
  return li;
}

function timeElement(date) {
  const time = document.createElement("time");
  time.dateTime = date.toISOString();
  time.title = formatFull(date);
  time.textContent = formatTime(date);
  return time;
}

/** Day separators and grouping of consecutive lines, from the element before `li`. */
function decorate(li) {
  if (!li?.dataset.ts) return;
  const prev = li.previousElementSibling;
  const date = new Date(Number(li.dataset.ts));
  const prevDate = prev?.dataset.ts ? new Date(Number(prev.dataset.ts)) : null;
  const newDay = !prevDate || !sameDay(prevDate, date);
  li.classList.toggle("new-day", newDay);
  if (newDay) li.dataset.day = formatDay(date);
  else delete li.dataset.day;
  const groupable = (el) =>
    el.classList.contains("msg") &&
    !el.classList.contains("action") &&
    !el.classList.contains("system-post");
  const grouped =
    !newDay &&
    prev !== null &&
    groupable(li) &&
    groupable(prev) &&
    prev.dataset.author === li.dataset.author &&
    date - prevDate < GROUP_GAP_MS;
  li.classList.toggle("grouped", grouped);
}

/** A line from this client (not from the server): joins, leaves, renames, help, errors. */
function addNotice(room, parts, kind = "info") {
  const li = document.createElement("li");
  li.className = `notice notice-${kind}`;
  const now = new Date();
  li.dataset.ts = String(now.getTime());
  const text = document.createElement("span");
  text.className = "notice-text";
  for (const part of parts) {
    if (typeof part === "string") {
      text.append(part);
    } else {
      const name = document.createElement("bdi");
      name.className = "who";
      name.textContent = part.name;
      text.append(name);
    }
  }
  li.append(text, " ", timeElement(now));
  room.list.append(li);
  decorate(li);
  if (room === currentRoom() && room.atBottom) stickToBottom(room);
  return li;
}

function addHelp(room) {
  const li = addNotice(room, ["Commands:"], "help");
  const list = document.createElement("dl");
  list.className = "help-list";
  for (const [form, what] of HELP) {
    const term = document.createElement("dt");
    term.textContent = form;
    const detail = document.createElement("dd");
    detail.textContent = what;
    list.append(term, detail);
  }
  li.append(list);
  if (room.atBottom) stickToBottom(room);
}

function updateHistoryTop(room) {
  const top = room.top;
  const canLoad = room.canLoadOlder;
  const key = room.loadingOlder ? "loading" : canLoad ? "more" : "start";
  if (top.dataset.state === key) return;
  top.dataset.state = key;
  if (key === "more") {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button load-older";
    button.textContent = "Load older messages";
    button.addEventListener("click", () => loadOlder(room));
    top.replaceChildren(button);
  } else if (key === "loading") {
    top.textContent = "Loading older messages…";
  } else {
    top.replaceChildren("This is the beginning of ", hashName(room.name), ".");
  }
}

function loadOlder(room) {
  if (room.loadingOlder || !room.canLoadOlder || room.status !== "joined") return;
  if (room.backlogRemaining > 0) return; // the join's own history is still arriving
  if (!connection.isOpen) return;
  const frame = { Type: "History", Room: room.name, Limit: HISTORY_PAGE };
  if (room.minId !== Infinity) frame.Before = room.minId;
  room.loadingOlder = true;
  request("history", frame, { room: room.name });
  updateHistoryTop(room);
}

/** Keep loading history while the log does not fill the screen (nothing to scroll yet). */
function fillViewport(room) {
  if (room.canLoadOlder && ui.log.scrollHeight <= ui.log.clientHeight + NEAR_TOP_PX) {
    loadOlder(room);
  }
}

// -- user list and notices -----------------------------------------------------------------------

function onUserlist(frame) {
  const room = state.rooms.get(frame.Room ?? state.link.firstRoom);
  if (!room || !Array.isArray(frame.Users)) return;
  const names = frame.Users.map((user) => user?.Name).filter((n) => typeof n === "string");
  const previous = room.users;
  room.users = names;
  if (room.usersKnown && !room.settling) announceChanges(room, previous, names);
  room.usersKnown = true;
  if (room === currentRoom()) renderPeople();
  renderMyRooms();
  if (!state.directory.some((entry) => entry.name === room.name)) scheduleDirectoryRefresh();
  else renderDirectory();
}

function onPresence(frame) {
  const room = state.rooms.get(frame.Room);
  if (!room || !room.usersKnown) return;
  const names = (list) => (Array.isArray(list) ? list.filter((n) => typeof n === "string") : []);
  const left = new Set(names(frame.Left));
  const users = room.users.filter((name) => !left.has(name));
  for (const name of names(frame.Joined)) if (!users.includes(name)) users.push(name);
  onUserlist({ Room: room.name, Users: users.map((name) => ({ Name: name })) });
}

/** After a reconnect the lists fill up again as people come back: report only the net change. */
function settle(room) {
  if (!state.rooms.has(room.name) || !room.usersBeforeDrop) return;
  room.settling = false;
  if (room.status === "joined") announceChanges(room, room.usersBeforeDrop, room.users);
  room.usersBeforeDrop = null;
}

function announceChanges(room, before, after) {
  const was = new Set(before);
  const now = new Set(after);
  const gone = before.filter((name) => !now.has(name));
  const came = after.filter((name) => !was.has(name));
  if (gone.length === 1 && came.length === 1) {
    addNotice(room, [{ name: gone[0] }, " is now known as ", { name: came[0] }], "rename");
    return;
  }
  for (const name of came) addNotice(room, [{ name }, " joined"], "join");
  for (const name of gone) addNotice(room, [{ name }, " left"], "leave");
}

// -- sending -------------------------------------------------------------------------------------

function sendLine(room, text) {
  const line = { ref: nextRef("m"), room: room.name, text, status: "queued", li: null };
  line.li = renderPending(line);
  room.pendingList.append(line.li);
  state.pending.set(line.ref, line);
  pump(room);
  stickToBottom(room);
}

/**
 * Send the room's next queued line, unless one is still on its way ("sent", or "waiting" out a
 * rate limit): one line in flight per room keeps the stored order the typed order.
 */
function pump(room) {
  if (room.status !== "joined" || !connection.isOpen) return;
  for (const line of state.pending.values()) {
    if (line.room !== room.name) continue;
    if (line.status === "sent" || line.status === "waiting") return;
    if (line.status === "queued") {
      transmit(line);
      return;
    }
  }
}

function transmit(line) {
  const ok = send({ Message: encodeText(line.text), Room: line.room, Ref: line.ref });
  line.status = ok ? "sent" : "queued";
}

/** The server asked to slow down: send the line again (same Ref) once it allows. */
function holdPending(line, seconds) {
  line.status = "waiting";
  line.li.querySelector(".pending-status").textContent = "slowed down by the server, retrying…";
  setTimeout(
    () => {
      if (state.pending.get(line.ref) !== line || line.status !== "waiting") return;
      line.status = "queued";
      line.li.querySelector(".pending-status").textContent = "sending…";
      const room = state.rooms.get(line.room);
      if (room) pump(room);
    },
    Math.max(250, seconds * 1000),
  );
}

function renderPending(line) {
  const li = document.createElement("li");
  li.className = "msg pending own";
  li.style.setProperty("--hue", String(hueFor(state.nick ?? "")));
  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.setAttribute("aria-hidden", "true");
  avatar.textContent = initial(state.nick ?? "?");
  const body = document.createElement("div");
  body.className = "msg-body";
  const meta = document.createElement("div");
  meta.className = "meta";
  const who = document.createElement("bdi");
  who.className = "author";
  who.textContent = state.nick ?? "you";
  const status = document.createElement("span");
  status.className = "pending-status";
  status.textContent = "sending…";
  meta.append(who, " ", status);
  const content = document.createElement("div");
  content.className = "text";
  content.dir = "auto";
  content.append(linkify(line.text));
  body.append(meta, content);
  li.append(avatar, body);
  return li;
}

function failPending(line, message) {
  line.status = "failed";
  const li = line.li;
  li.classList.add("failed");
  const status = li.querySelector(".pending-status");
  status.textContent = `Not sent: ${message} `;
  const retry = document.createElement("button");
  retry.type = "button";
  retry.className = "link-button";
  retry.textContent = "Retry";
  retry.addEventListener("click", () => {
    li.classList.remove("failed");
    status.textContent = "sending…";
    line.ref = retarget(line);
    line.status = "queued";
    const room = state.rooms.get(line.room);
    if (room) pump(room);
  });
  const discard = document.createElement("button");
  discard.type = "button";
  discard.className = "link-button";
  discard.textContent = "Discard";
  discard.addEventListener("click", () => dropPending(line));
  status.append(retry, " · ", discard);
}

/** A retried line gets a new Ref: the server remembers the old one as failed-or-done. */
function retarget(line) {
  state.pending.delete(line.ref);
  const ref = nextRef("m");
  state.pending.set(ref, line);
  return ref;
}

function dropPending(line) {
  state.pending.delete(line.ref);
  for (const [key, value] of state.ackedIds) {
    if (value === line) state.ackedIds.delete(key);
  }
  line.li.remove();
}

// -- scrolling and unread ------------------------------------------------------------------------

let stickScheduled = false;

function stickToBottom(room) {
  room.atBottom = true;
  if (stickScheduled) return;
  stickScheduled = true;
  const run = () => {
    stickScheduled = false;
    const current = currentRoom();
    if (current?.atBottom) {
      ui.log.scrollTop = ui.log.scrollHeight;
      markRead(current);
    }
    if (current) fillViewport(current);
  };
  if (document.hidden) setTimeout(run, 50);
  else requestAnimationFrame(run);
}

function markRead(room) {
  if (room !== currentRoom() || !room.atBottom || document.hidden) return;
  if (room.unread === 0 && room.readMark >= room.maxId) return;
  room.readMark = Math.max(room.readMark, room.maxId);
  room.unread = 0;
  renderMarker();
  renderMyRooms();
}

// The log's last scroll position. A scroll that did not move up leaves a room that follows the
// newest line following it: the event of our own jump to the bottom can come after more lines
// were added (a join's backlog, a burst), and a smooth scroll reports the positions on its way.
let lastLogTop = 0;

ui.log.addEventListener(
  "scroll",
  () => {
    const movedUp = ui.log.scrollTop < lastLogTop;
    lastLogTop = ui.log.scrollTop;
    const room = currentRoom();
    if (!room) return;
    if (movedUp || !room.atBottom) {
      const fromBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight;
      room.atBottom = fromBottom < NEAR_BOTTOM_PX;
    }
    if (room.atBottom) markRead(room);
    if (ui.log.scrollTop < NEAR_TOP_PX) loadOlder(room);
  },
  { passive: true },
);

// A resized window (phone rotated, keyboard shown) keeps the newest line in view.
new ResizeObserver(() => {
  const room = currentRoom();
  if (room?.atBottom) ui.log.scrollTop = ui.log.scrollHeight;
}).observe(ui.log);

ui.newMarker.addEventListener("click", () => {
  const room = currentRoom();
  if (!room) return;
  ui.log.scrollTo({ top: ui.log.scrollHeight, behavior: "smooth" });
  room.atBottom = true;
  markRead(room);
  ui.input.focus();
});

function renderMarker() {
  const room = currentRoom();
  const count = room && !room.atBottom ? room.unread : 0;
  ui.newMarker.hidden = count === 0;
  ui.newMarkerText.textContent = count === 1 ? "1 new message" : `${count} new messages`;
}

// -- rendering: rooms, people, connection --------------------------------------------------------

function renderMyRooms() {
  const items = [];
  let total = 0;
  for (const room of state.rooms.values()) {
    total += room.unread;
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "room-button";
    button.dataset.room = room.name;
    if (room.name === state.current) button.setAttribute("aria-current", "page");
    button.append(hashName(room.name));
    if (room.unread > 0) {
      const badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = room.unread > 99 ? "99+" : String(room.unread);
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = room.unread === 1 ? " unread message" : " unread messages";
      badge.append(hidden);
      button.append(badge);
    }
    button.addEventListener("click", () => switchTo(room.name));
    li.append(button);
    items.push(li);
  }
  ui.myRooms.replaceChildren(...items);
  const room = currentRoom();
  document.title = `${total > 0 ? `(${total}) ` : ""}${room ? `#${room.name} · ` : ""}roomcast`;
  if (room) {
    const count = room.users.length;
    const people = `${count} ${count === 1 ? "person" : "people"}`;
    ui.roomMeta.textContent = room.usersKnown ? people : "";
  }
}

function renderPeople() {
  const room = currentRoom();
  const names = room ? [...room.users] : [];
  names.sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
  ui.people.replaceChildren(
    ...names.map((name) => {
      const li = document.createElement("li");
      li.className = "person";
      li.style.setProperty("--hue", String(hueFor(name)));
      const avatar = document.createElement("span");
      avatar.className = "avatar";
      avatar.setAttribute("aria-hidden", "true");
      avatar.textContent = initial(name);
      const label = document.createElement("bdi");
      label.className = "person-name";
      label.textContent = name;
      li.append(avatar, label);
      if (name === state.nick) {
        li.classList.add("me");
        const you = document.createElement("span");
        you.className = "you";
        you.textContent = "(you)";
        li.append(" ", you);
      }
      return li;
    }),
  );
  ui.peopleCount.textContent = room?.usersKnown ? `(${names.length})` : "";
  ui.peopleBadge.textContent = room?.usersKnown ? String(names.length) : "";
}

let countdown = 0;

function renderConnection() {
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

// -- room directory (GET /api/rooms) -------------------------------------------------------------

let directoryTimer = 0;

async function refreshDirectory() {
  clearTimeout(directoryTimer);
  directoryTimer = setTimeout(refreshDirectory, DIRECTORY_POLL_MS);
  if (document.hidden) return;
  try {
    const response = await fetch("/api/rooms", { cache: "no-store" });
    if (!response.ok) return;
    const data = await response.json();
    state.directory = Array.isArray(data.rooms) ? data.rooms : [];
    renderDirectory();
  } catch {
    // Offline: keep the last list; the connection indicator says what is wrong.
  }
}

function scheduleDirectoryRefresh() {
  clearTimeout(directoryTimer);
  directoryTimer = setTimeout(refreshDirectory, 400);
}

function renderDirectory() {
  // Rooms this page is in have a live count; the others are as fresh as the last fetch.
  const live = (entry) => {
    const room = state.rooms.get(entry.name);
    return room?.usersKnown ? { ...entry, members: room.users.length } : entry;
  };
  const rooms = state.directory.map(live).sort(
    (a, b) => b.members - a.members || a.name.localeCompare(b.name),
  );
  const shown = rooms.slice(0, 60);
  const items = shown.map((entry) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "room-button";
    const joined = state.rooms.has(entry.name);
    if (joined) button.classList.add("joined");
    if (entry.name === state.current) button.setAttribute("aria-current", "page");
    button.append(hashName(entry.name));
    const members = document.createElement("span");
    members.className = "members";
    members.textContent = String(entry.members ?? 0);
    const label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = entry.members === 1 ? " person online" : " people online";
    members.append(label);
    button.append(members);
    button.addEventListener("click", () => openRoom(entry.name));
    li.append(button);
    return li;
  });
  if (rooms.length > shown.length) {
    const more = document.createElement("li");
    more.className = "more-rooms";
    more.textContent = `and ${rooms.length - shown.length} more: join them by name`;
    items.push(more);
  }
  if (items.length === 0) {
    const empty = document.createElement("li");
    empty.className = "more-rooms";
    empty.textContent = "No rooms yet.";
    items.push(empty);
  }
  ui.allRooms.replaceChildren(...items);
}

// -- alerts --------------------------------------------------------------------------------------

let alertTimer = 0;
const MAX_ALERTS = 3;

/** Show a problem above the message box; a few recent ones stay listed until dismissed. */
function showAlert(message) {
  clearTimeout(alertTimer);
  if (ui.alert.hidden) ui.alertText.replaceChildren();
  const line = document.createElement("span");
  line.className = "alert-line";
  line.textContent = message;
  ui.alertText.append(line);
  while (ui.alertText.childElementCount > MAX_ALERTS) ui.alertText.firstElementChild.remove();
  ui.alert.hidden = false;
  alertTimer = setTimeout(hideAlert, ALERT_MS);
}

function hideAlert() {
  clearTimeout(alertTimer);
  ui.alert.hidden = true;
  ui.alertText.replaceChildren();
}

// -- drawers (phone-sized screens) ---------------------------------------------------------------

function openDrawer(which) {
  ui.app.dataset.drawer = which;
  ui.scrim.hidden = false;
  ui.toggleRooms.setAttribute("aria-expanded", String(which === "rooms"));
  ui.togglePeople.setAttribute("aria-expanded", String(which === "people"));
  const panel = which === "rooms" ? ui.roomsPanel : ui.peoplePanel;
  panel.querySelector("button, input")?.focus();
}

function closeDrawer() {
  const open = ui.app.dataset.drawer;
  if (!open || open === "none") return;
  ui.app.dataset.drawer = "none";
  ui.scrim.hidden = true;
  ui.toggleRooms.setAttribute("aria-expanded", "false");
  ui.togglePeople.setAttribute("aria-expanded", "false");
  const panel = open === "rooms" ? ui.roomsPanel : ui.peoplePanel;
  if (panel.contains(document.activeElement)) {
    (open === "rooms" ? ui.toggleRooms : ui.togglePeople).focus();
  }
}

function toggleDrawer(which) {
  if (ui.app.dataset.drawer === which) closeDrawer();
  else openDrawer(which);
}

// -- input ---------------------------------------------------------------------------------------

function submitComposer() {
  const room = currentRoom();
  const raw = ui.input.value;
  const command = parseInput(raw);
  switch (command.kind) {
    case "empty":
      return;
    case "say":
      sendLine(room, command.text);
      break;
    case "me":
      sendLine(room, `/me ${command.text}`);
      break;
    case "nick":
      if (!requestNick(command.name)) {
        showAlert(ui.nickError.textContent);
        return;
      }
      break;
    case "join":
      if (!openRoom(command.room)) return;
      break;
    case "leave":
      leaveRoom(command.room ? (normaliseRoom(command.room) ?? command.room) : room.name);
      break;
    case "help":
      addHelp(room);
      break;
    default:
      showAlert(command.message);
      return;
  }
  ui.input.value = "";
  autosize();
}

function autosize() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${ui.input.scrollHeight}px`;
}

ui.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    submitComposer();
  }
});
ui.input.addEventListener("input", autosize);
ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submitComposer();
  ui.input.focus();
});

ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  ui.joinError.textContent = "";
  if (openRoom(ui.joinInput.value, { fromForm: true })) ui.joinInput.value = "";
});
ui.nickForm.addEventListener("submit", (event) => {
  event.preventDefault();
  requestNick(ui.nickInput.value);
});
ui.nickInput.addEventListener("blur", () => {
  if (!ui.nickInput.value.trim() && state.nick) ui.nickInput.value = state.nick;
});

// The skip link moves the focus without touching the URL (its hash names the current room).
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  ui.input.focus();
});
ui.leaveRoom.addEventListener("click", () => leaveRoom(state.current));
ui.reconnectNow.addEventListener("click", () => connection.reconnectNow());
ui.refreshRooms.addEventListener("click", () => refreshDirectory());
ui.alertClose.addEventListener("click", hideAlert);
ui.toggleRooms.addEventListener("click", () => toggleDrawer("rooms"));
ui.togglePeople.addEventListener("click", () => toggleDrawer("people"));
ui.scrim.addEventListener("click", closeDrawer);

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    if (ui.app.dataset.drawer !== "none") closeDrawer();
    else hideAlert();
  } else if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
    event.preventDefault();
    cycleRoom(event.key === "ArrowUp" ? -1 : 1);
  }
});

document.addEventListener("visibilitychange", () => {
  const room = currentRoom();
  if (!document.hidden && room) {
    markRead(room);
    refreshDirectory();
  }
});

window.addEventListener("hashchange", () => {
  const name = roomFromLocation();
  if (name && name !== state.current) openRoom(name);
});

// -- start ---------------------------------------------------------------------------------------

function start() {
  let saved = [];
  try {
    saved = JSON.parse(load(sessionStorage, KEY_ROOMS) ?? "[]");
  } catch {
    saved = [];
  }
  for (const name of Array.isArray(saved) ? saved : []) {
    const valid = typeof name === "string" ? normaliseRoom(name) : null;
    if (valid && !state.rooms.has(valid)) addRoom(valid);
  }
  const wanted = roomFromLocation();
  let current = wanted ? normaliseRoom(wanted) : null;
  if (wanted && !current) showAlert(`"${wanted}" is not a room name; opening #${DEFAULT_ROOM}.`);
  if (!current) current = state.rooms.keys().next().value ?? DEFAULT_ROOM;
  if (!state.rooms.has(current)) addRoom(current);
  switchTo(current);
  if (state.wantedNick) ui.nickInput.value = state.wantedNick;
  renderConnection();
  connection.start();
  refreshDirectory();
  // Focus the message box where typing is the first thing to do; on touch screens that would
  // pop up the on-screen keyboard over the conversation.
  if (matchMedia("(pointer: fine)").matches) ui.input.focus();
}

start();
