// The roomcast browser client's entry point: it wires the modules together, sends every server
// frame, Error and closed connection to the modules that own them, and starts the page.
//
// Each module says at its top what it owns:
//   store.js       the shared state, and changed(topic) / watch(topic, render) between modules
//   storage.js     what the page remembers between loads (session, rooms, nickname)
//   connection.js  one WebSocket kept alive: reconnects with backoff, pings (knows no rooms)
//   link.js        connecting and resuming: the URL, the session, requests by Ref, the indicator
//   room.js        the state and element of one room
//   rooms.js       joining, leaving and switching rooms; "Your rooms" with unread counts
//   messages.js    the message list: live lines, history pages, notices, days and groups
//   history.js     paging in older messages
//   scroll.js      following the newest line, the unread marker, marking lines read
//   outbox.js      this user's lines on their way: one in flight per room, retries
//   composer.js    the message box and its /commands (parsed by commands.js)
//   people.js      the people of each room and the notices about them
//   nickname.js    this user's nickname and its form
//   directory.js   the list of all rooms
//   moderation.js  deleted messages, kicks and bans, rooms refused at connect time
//   account.js     sign-up, log-in and log-out
//   drawers.js     the panels as drawers on small screens
//   alerts.js      problems shown above the message box
//   dom.js, format.js, codec.js  DOM builders, text and dates, the base64 Message field
//
// A new concern (message actions, threads, direct conversations, search, uploads, room
// administration) is a module of its own, with its frame types added to FRAMES below.

import { setupAccount } from "./account.js";
import { hideAlert, showAlert } from "./alerts.js";
import { focusComposer } from "./composer.js";
import { refreshDirectory } from "./directory.js";
import { closeDrawer, drawerOpen } from "./drawers.js";
import { historyRefused } from "./history.js";
import {
  connection,
  linkClosed,
  onStatus as linkStatus,
  reconnectForAccount,
  renderConnection,
} from "./link.js";
import { onChat, onHistory } from "./messages.js";
import { onDeleted, onKicked, refusedAtConnect } from "./moderation.js";
import { nickRefused, onNick, setNick, showWantedNick, takeAccountName } from "./nickname.js";
import { lineRefused, onAck, requeueSent } from "./outbox.js";
import { onPresence, onUserlist } from "./people.js";
import {
  cycleRoom,
  joinRefused,
  onJoined,
  onLeft,
  openRoom,
  rejoinOthers,
  restoreRooms,
  roomFromLocation,
} from "./rooms.js";
import { markRead } from "./scroll.js";
import { currentRoom, state } from "./store.js";

const account = setupAccount({
  session: () => state.session,
  changed(name) {
    takeAccountName(name);
    reconnectForAccount();
  },
});

// -- incoming frames -----------------------------------------------------------------------------

function onStatus(frame) {
  linkStatus(frame);
  setNick(frame.Nick);
  account.fromStatus(frame.User);
  renderConnection();
  rejoinOthers();
}

function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** An Error goes to the owner of its Ref (a line, a request by kind); the rest is an alert. */
function onError(frame) {
  const message = capitalise(String(frame.Message ?? frame.Code ?? "Something went wrong"));
  if (lineRefused(frame, message)) return;
  const ref = frame.Ref;
  const req = ref != null ? state.requests.get(ref) : null;
  if (ref != null) state.requests.delete(ref);
  if (nickRefused(frame, message, req)) return;
  if (req?.kind === "join") {
    joinRefused(req, frame, message);
    return;
  }
  if (req?.kind === "history") historyRefused(req);
  showAlert(message);
}

// Pong and the types this client does not know are ignored.
const FRAMES = new Map([
  ["Status", onStatus],
  ["Joined", onJoined],
  ["Chat", onChat],
  ["userlist", onUserlist],
  ["Presence", onPresence],
  ["History", onHistory],
  ["Ack", onAck],
  ["Nick", onNick],
  ["Left", onLeft],
  ["Error", onError],
  ["Deleted", onDeleted],
  ["Kicked", onKicked],
]);

connection.addEventListener("frame", (event) => FRAMES.get(event.detail.Type)?.(event.detail));

connection.addEventListener("closed", (event) => {
  const detail = event.detail;
  const hadStatus = state.link.status;
  for (const room of state.rooms.values()) room.connectionLost();
  requeueSent();
  if (!linkClosed(detail)) refusedAtConnect(detail, hadStatus);
});

// -- the page ------------------------------------------------------------------------------------

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    if (drawerOpen()) closeDrawer();
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

function start() {
  restoreRooms();
  showWantedNick();
  renderConnection();
  connection.start();
  refreshDirectory();
  // Focus the message box where typing is the first thing to do; on touch screens that would
  // pop up the on-screen keyboard over the conversation.
  if (matchMedia("(pointer: fine)").matches) focusComposer();
}

start();
