// The rooms this page is in: joining (the first by the WebSocket URL, the others by Join
// frames, again after every reconnect from the last message held), leaving, switching between
// them (the URL's #/room/NAME follows), the "Your rooms" and "Direct messages" lists with unread
// and mention counts, the room title, the tab's title and the join form.

import { showAlert } from "./alerts.js";
import { $, hashName, replaceItems } from "./dom.js";
import { closeDrawer } from "./drawers.js";
import { normaliseRoom, roomProblem } from "./format.js";
import { fillViewport, requestPage, updateHistoryTop } from "./history.js";
import { countChars, MAX_ROOM_CHARS } from "./limits.js";
import { connection, ready, request, send } from "./link.js";
import { addNotice } from "./messages.js";
import { dropPending, pump } from "./outbox.js";
import { settleLater } from "./people.js";
import { refusalText } from "./refusals.js";
import { Room } from "./room.js";
import { markRead, renderMarker } from "./scroll.js";
import { KEY_ROOMS, load, save } from "./storage.js";
import { changed, currentRoom, state, watch } from "./store.js";
import { noteReadMark } from "./unread.js";

export const DEFAULT_ROOM = "default";

const ui = {
  log: $("log"),
  roomTitle: $("room-title"),
  roomMeta: $("room-meta"),
  myRooms: $("my-rooms"),
  directSection: $("direct-section"),
  directRooms: $("direct-rooms"),
  leaveRoom: $("leave-room"),
  joinForm: $("join-form"),
  joinInput: $("join-input"),
  joinError: $("join-error"),
};

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
export function openRoom(rawName, { fromForm = false } = {}) {
  const name = normaliseRoom(rawName);
  if (!name) {
    const message = roomProblem(rawName);
    if (fromForm) ui.joinError.textContent = message;
    else showAlert(message);
    return false;
  }
  takeRoom(name, { fromForm, back: state.current });
  switchTo(name);
  return true;
}

/** The room `name` of this page, joined now (without switching to it) if it was not. */
export function takeRoom(name, { fromForm = false, back = null } = {}) {
  let room = state.rooms.get(name);
  if (!room) {
    room = addRoom(name);
    if (ready()) {
      request("join", { Type: "Join", Room: name }, { room: name, fromForm, back });
    }
  }
  return room;
}

export function leaveRoom(name) {
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

/**
 * Forget a room on this page (left, refused, or this user was removed from it); when it was on
 * screen, room `back` (where the user came from) or the first one takes its place.
 */
export function removeRoom(name, { back = null } = {}) {
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
    switchTo(state.rooms.has(back) ? back : state.rooms.keys().next().value);
  } else {
    renderMyRooms();
  }
  changed("membership");
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
  changed("current");
  closeDrawer();
  changed("people");
  renderMyRooms();
  changed("directory");
  renderMarker();
  markRead(room);
  fillViewport(room);
}

/** Put the rooms `names` first, in that order (the person's order, the same on every page). */
export function orderRooms(names) {
  const rooms = [...state.rooms.entries()];
  const rank = (name) => (names.includes(name) ? names.indexOf(name) : names.length);
  rooms.sort((a, b) => rank(a[0]) - rank(b[0]));
  state.rooms.clear();
  for (const [name, room] of rooms) state.rooms.set(name, room);
  persistRooms();
}

/** The room the address names: #/room/NAME, or ?room=NAME as the tutorial's links have it. */
export function roomFromLocation() {
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

export function cycleRoom(step) {
  const names = [...state.rooms.keys()];
  const index = names.indexOf(state.current);
  switchTo(names[(index + step + names.length) % names.length]);
}

/** The rooms of the last visit in this tab, and the one the address names, on screen. */
export function restoreRooms() {
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
}

// -- joining on the server ---------------------------------------------------------------------

function joinOnServer(room) {
  const frame = { Type: "Join", Room: room.name };
  const since = room.resumeSince;
  if (since != null) frame.Since = since;
  request("join", frame, { room: room.name });
}

/** The URL joined the first room; every other room is joined again, from its last message. */
export function rejoinOthers() {
  for (const room of state.rooms.values()) {
    if (room.name !== state.link.firstRoom) joinOnServer(room);
  }
}

export function onJoined(frame) {
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
    room.reset();
    room.countedTo = lastId;
    addNotice(room, ["The server's history was reset; showing what it has now."]);
    requestPage(room);
  }
  // Without the person's counts (a guest's first visit, a room just joined), the backlog of a
  // first join is not unread: what comes after it is.
  if (fresh && !room.countsKnown) room.countedTo = lastId;
  noteReadMark(room, Number(frame.ReadID) || 0);
  room.joinedLastId = lastId;
  room.status = "joined";
  // The history that follows Joined is still arriving: judge whether the view is full after it.
  // Without Since it gives messages as they are now; a resume replays them as they came.
  room.backlogRemaining = Number(frame.Backlog) || 0;
  room.backlogAsOf = fresh ? lastId : 0;
  if (frame.Truncated) {
    addNotice(room, ["You were away a long time: not every message since then is shown."]);
  }
  settleLater(room);
  pump(room);
  updateHistoryTop(room);
  renderMyRooms();
  markRead(room);
  changed("membership");
}

export function onLeft(frame) {
  if (frame.Ref) state.requests.delete(frame.Ref);
}

/** The server refused a Join: retry a rate-limited one later, else give the room up. */
export function joinRefused(req, frame, message) {
  const room = state.rooms.get(req.room);
  if (frame.Code === "rate_limited") {
    const retry = () => {
      if (room && state.rooms.get(req.room) === room && room.status === "joining") {
        if (ready()) joinOnServer(room);
      }
    };
    setTimeout(retry, Math.max(250, (Number(frame.RetryAfter) || 1) * 1000));
    return;
  }
  if (room && room.joinedLastId === null) removeRoom(req.room, { back: req.back });
  const text = refusalText(req.room, message);
  if (req.fromForm) ui.joinError.textContent = text;
  showAlert(text, { key: `room:${req.room}` });
}

// -- the rooms panel -----------------------------------------------------------------------------

function badge(className, count, one, many) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = count > 99 ? "99+" : String(count);
  const hidden = document.createElement("span");
  hidden.className = "visually-hidden";
  hidden.textContent = count === 1 ? one : many;
  element.append(hidden);
  return element;
}

/** How a room is named on the page: "#name", or the people of a direct conversation. */
function roomName(room) {
  if (!room.direct) return hashName(room.name);
  const names = document.createElement("bdi");
  names.textContent = room.label;
  return names;
}

function roomButton(room) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "room-button";
  button.dataset.room = room.name;
  if (room.name === state.current) button.setAttribute("aria-current", "page");
  button.append(roomName(room));
  if (room.mentions > 0) {
    button.append(badge("mention-count", room.mentions, " mention", " mentions"));
  }
  if (room.unread > 0) {
    button.append(badge("unread", room.unread, " unread message", " unread messages"));
  }
  button.addEventListener("click", () => switchTo(room.name));
  li.append(button);
  return li;
}

function renderMyRooms() {
  const rooms = [...state.rooms.values()];
  replaceItems(ui.myRooms, rooms.filter((room) => !room.direct).map(roomButton));
  const direct = rooms.filter((room) => room.direct).map(roomButton);
  if (direct.length === 0) {
    const hint = document.createElement("li");
    hint.className = "more-rooms";
    hint.textContent = "Click a name in People to start a conversation.";
    direct.push(hint);
  }
  replaceItems(ui.directRooms, direct);
  ui.directSection.hidden = !state.user && !rooms.some((room) => room.direct);
  renderTitle();
  const room = currentRoom();
  if (room) {
    const count = room.userCount;
    const people = `${count.toLocaleString()} ${count === 1 ? "person" : "people"}`;
    ui.roomMeta.textContent = room.usersKnown ? people : "";
  }
}

/**
 * The room's heading, and the tab's title: while the page is hidden, the count of mentions and
 * direct lines that came meanwhile; else the count of unread lines in every room.
 */
function renderTitle() {
  const room = currentRoom();
  if (room) ui.roomTitle.replaceChildren(roomName(room));
  if (document.hidden && state.unseen > 0) {
    document.title = `(${state.unseen}) roomcast`;
    return;
  }
  let total = 0;
  for (const each of state.rooms.values()) total += each.unread;
  document.title = `${total > 0 ? `(${total}) ` : ""}${room ? `${room.label} · ` : ""}roomcast`;
}

watch("rooms", renderMyRooms);
countChars(ui.joinInput, MAX_ROOM_CHARS);
ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  ui.joinError.textContent = "";
  if (openRoom(ui.joinInput.value, { fromForm: true })) ui.joinInput.value = "";
});
ui.leaveRoom.addEventListener("click", () => leaveRoom(state.current));
