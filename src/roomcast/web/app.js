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
//   messages.js    the message list: live lines, history pages, deletions, notices
//   entries.js     what is held of one message (text, reply, thread, edit, reactions), who may
//                  do what with it
//   line.js        how one message looks: quote, text, "edited", reaction chips, reply count
//   actions.js     the actions bar on a message (hover, focus, long press), keys in the lists
//   replies.js     replying: the reply bar over the message box, quotes leading to their parent
//   thread.js      the thread panel: a thread's root and replies, its own message box
//   edits.js       editing one's lines in place, Edited events, the list of versions
//   reactions.js   the emoji picker, toggling a reaction, Reaction events
//   typing.js      telling the room this user types; "alice is typing…" under the box
//   history.js     paging in older messages
//   scroll.js      following the newest line, the unread marker, marking lines read
//   unread.js      read markers (sent as Read, shared by the person's pages), unread and
//                  mention counts, the "new since you were here" line
//   people_rooms.js  the person's rooms (the Rooms frame), joined on every page
//   outbox.js      this user's lines on their way: one in flight per room, retries
//   composer.js    the message box and its /commands (parsed by commands.js)
//   complete.js    Tab completes @names in the message boxes
//   people.js      the people of each room and the notices about them
//   person_menu.js a person's name and menu in People (write to, block), the blocked accounts
//   direct.js      direct conversations: starting one, naming it by its people
//   notify.js      mentions and direct lines: desktop notifications, the count in the tab title
//   nickname.js    this user's nickname and its form
//   directory.js   the list of all rooms
//   moderation.js  this user's role in a room, kicks and bans, rooms refused at connect time
//   refusals.js    the wording of kicks, bans and refused rooms, in local time
//   room_admin.js  the topic in the heading, creating a room, the room settings (topic, roles)
//   sanctions.js   kicking, banning, muting; the bans and mutes in force, lifting them
//   roles.js       who may do what in a room, from its Room frame
//   limits.js      the length limits: counters, and texts over a limit refused, never cut
//   dialogs.js     the room administration's dialogs
//   account.js     sign-up, log-in and log-out
//   drawers.js     the panels as drawers on small screens
//   alerts.js      problems shown above the message box
//   search.js      the search dialog (Ctrl+K or /): Search and Results, grouped by room
//   around.js      opening a room at one message, paging newer lines back to the newest
//   uploads.js     files on their way into a line: attach, paste, drop, progress, the tray
//   attachments.js a line's files: image previews and the lightbox, file chips
//   dom.js, format.js, codec.js  DOM builders, text and dates, the base64 Message field
//
// A new concern (search, uploads, room administration) is a module of its own, with its frame
// types added to FRAMES below.

import "./actions.js";
import "./uploads.js";
import { setupAccount } from "./account.js";
import { hideAlert, showAlert } from "./alerts.js";
import { onWindowPage, windowRefused } from "./around.js";
import { focusComposer } from "./composer.js";
import { directRefused, forgetDirect, onDirectRoom } from "./direct.js";
import { refreshDirectory } from "./directory.js";
import { closeDrawer, drawerOpen } from "./drawers.js";
import { editRefused, editSaved, onEdited, onEdits } from "./edits.js";
import { historyRefused } from "./history.js";
import {
  connection,
  linkClosed,
  onStatus as linkStatus,
  reconnectForAccount,
  renderConnection,
} from "./link.js";
import { onChat, onDeleted, onHistory } from "./messages.js";
import { firstRoomRefused, onKicked, onRoomInfo, refusedAtConnect } from "./moderation.js";
import { nickRefused, onNick, setNick, showWantedNick, takeAccountName } from "./nickname.js";
import { onNotify } from "./notify.js";
import { lineAcked, lineRefused, requeueSent } from "./outbox.js";
import { membersRefused, onMembers } from "./members.js";
import { onPresence, onUserlist } from "./people.js";
import { onRooms } from "./people_rooms.js";
import { loadBlocks, onBlocks } from "./person_menu.js";
import { onReaction } from "./reactions.js";
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
import { onResults, searchRefused } from "./search.js";
import { changed, currentRoom, state } from "./store.js";
import { adminRefused, roomAnswered } from "./room_admin.js";
import { onModerated } from "./sanctions.js";
import { onThreadHistory, threadRefused } from "./thread.js";
import { onTyping } from "./typing.js";
import { onRead } from "./unread.js";

const account = setupAccount({
  session: () => state.session,
  changed(name) {
    takeAccountName(name);
    forgetDirect();
    reconnectForAccount();
  },
});

// -- incoming frames -----------------------------------------------------------------------------

function onStatus(frame) {
  linkStatus(frame);
  const user = typeof frame.User === "string" ? frame.User : null;
  const userChanged = user !== state.user;
  state.user = user;
  setNick(frame.Nick);
  account.fromStatus(frame.User);
  if (userChanged) {
    loadBlocks();
    changed("rooms");
  }
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
  if (firstRoomRefused(frame, message)) return;
  if (adminRefused(req, message)) return;
  if (req?.kind === "join") {
    joinRefused(req, frame, message);
    return;
  }
  if (req?.kind === "direct") {
    directRefused(req, message);
    return;
  }
  if (req?.kind === "search") {
    searchRefused(req, message);
    return;
  }
  if (req?.kind === "around" || req?.kind === "newer") windowRefused(req);
  if (req?.kind === "history") historyRefused(req);
  if (req?.kind === "members") membersRefused(req);
  if (req?.kind === "thread") threadRefused(req);
  if (req?.kind === "edit" && editRefused(req, message)) return;
  showAlert(message);
}

/** An Ack goes to the line it confirms, or to the request (an edit) waiting for it. */
function onAck(frame) {
  if (lineAcked(frame)) return;
  const req = state.requests.get(frame.Ref);
  state.requests.delete(frame.Ref);
  if (req?.kind === "edit") editSaved(req);
}

/** A Room frame: the room's settings and this user's role, a direct conversation's people. */
function onRoom(frame) {
  const req = frame.Ref != null ? state.requests.get(frame.Ref) : null;
  onRoomInfo(frame);
  onDirectRoom(frame, req);
  roomAnswered(frame, req);
}

/** A History page: a thread's, the lines around a message or after them, or older lines. */
function onHistoryFrame(frame) {
  if (frame.Thread != null) onThreadHistory(frame);
  else if (!onWindowPage(frame)) onHistory(frame);
}

// Pong and the types this client does not know are ignored.
const FRAMES = new Map([
  ["Status", onStatus],
  ["Joined", onJoined],
  ["Chat", onChat],
  ["userlist", onUserlist],
  ["Presence", onPresence],
  ["Members", onMembers],
  ["History", onHistoryFrame],
  ["Results", onResults],
  ["Ack", onAck],
  ["Nick", onNick],
  ["Left", onLeft],
  ["Error", onError],
  ["Room", onRoom],
  ["Edited", onEdited],
  ["Deleted", onDeleted],
  ["Reaction", onReaction],
  ["Edits", onEdits],
  ["Typing", onTyping],
  ["Kicked", onKicked],
  ["Rooms", onRooms],
  ["Read", onRead],
  ["Notify", onNotify],
  ["Blocks", onBlocks],
  ["Moderated", onModerated],
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
