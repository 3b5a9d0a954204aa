// Kicking, banning and muting people, for a room's moderators: the items of the person menu (in
// People, and for a message's author), the dialog that asks the reason and for how long, the
// Kick, Ban and Mute frames and the Moderated frames that confirm them; and the sanctions in
// force in a room (GET /api/rooms/{room}/sanctions), each with its Unban or Unmute.
//
// Only what this user may do is offered (roles.js); the server checks it again and its Error
// shows in the dialog or as an alert.

import { showAlert } from "./alerts.js";
import { dialogButton, field, makeDialog, textInput } from "./dialogs.js";
import { formatWhen } from "./format.js";
import { countChars, MAX_REASON_CHARS, overLimit, recount } from "./limits.js";
import { ready, request } from "./link.js";
import { addNotice } from "./messages.js";
import { maySanction } from "./roles.js";
import { state } from "./store.js";

const NOT_CONNECTED = "Not connected: try again once the connection is back.";
const DURATIONS = [
  ["600", "10 minutes"],
  ["3600", "1 hour"],
  ["86400", "1 day"],
  ["604800", "1 week"],
  ["", "Until lifted"],
];
const VERB = { kick: "Kick", ban: "Ban", mute: "Mute", unban: "Unban", unmute: "Unmute" };
const DONE = {
  kick: "kicked",
  ban: "banned",
  mute: "muted",
  unban: "lifted the ban on",
  unmute: "lifted the mute on",
};

// -- asking ----------------------------------------------------------------------------------

const ask = makeDialog("Kick", submitAsk);
const reason = textInput("reason", "Optional: the person is told");
const duration = document.createElement("select");
duration.name = "duration";
for (const [value, label] of DURATIONS) duration.append(new Option(label, value));
const durationField = field("sanction-duration", "For how long", duration);
ask.body.append(field("sanction-reason", "Reason", reason), durationField);
countChars(reason, MAX_REASON_CHARS);
const confirm = dialogButton("Kick", { submit: true, className: "danger" });
ask.buttons.append(dialogButton("Cancel", { dialog: ask.dialog }), confirm);

/** What the dialog is about: {room, name, action}. */
let asking = null;

/** The person menu's items for `name` in `room`: [label, run] for what this user may do. */
export function moderationItems(room, name) {
  if (!room || room.direct || !maySanction(room, name)) return [];
  return ["kick", "ban", "mute"].map((action) => [
    `${VERB[action]} ${name}…`,
    () => openAsk(room, name, action),
  ]);
}

function openAsk(room, name, action) {
  asking = { room: room.name, name, action };
  ask.heading.textContent = `${VERB[action]} ${name} from ${room.label}`;
  reason.value = "";
  recount(reason);
  durationField.hidden = action === "kick";
  duration.value = action === "mute" ? "600" : "";
  confirm.textContent = VERB[action];
  ask.status.textContent = "";
  ask.dialog.showModal();
  reason.focus();
}

function submitAsk() {
  if (!asking) return;
  const problem = overLimit(reason.value, MAX_REASON_CHARS, "A reason");
  if (problem) {
    ask.status.textContent = problem;
    return;
  }
  const frame = { Type: VERB[asking.action], Room: asking.room, Name: asking.name };
  if (reason.value.trim()) frame.Reason = reason.value.trim();
  if (asking.action !== "kick" && duration.value) frame.Duration = Number(duration.value);
  if (moderate(frame)) ask.dialog.close();
  else ask.status.textContent = NOT_CONNECTED;
}

function moderate(frame) {
  if (!ready()) return false;
  request("moderate", frame, { room: frame.Room, name: frame.Name });
  return true;
}

/** A Moderated frame: the kick, ban, mute or lifting this user asked for was done. */
export function onModerated(frame) {
  if (frame.Ref != null) state.requests.delete(frame.Ref);
  const until = frame.Until ? ` until ${formatWhen(new Date(frame.Until))}` : "";
  const timed = frame.Action === "ban" || frame.Action === "mute";
  const parts = [`You ${DONE[frame.Action] ?? frame.Action} `, { name: frame.Name ?? "" }];
  parts.push(`${timed ? until || " until lifted" : ""}.`);
  const room = state.rooms.get(frame.Room);
  if (room) addNotice(room, parts, "moderation");
  else showAlert(parts.map((part) => part.name ?? part).join(""));
  refreshSanctions();
}

// -- the sanctions in force ------------------------------------------------------------------

/** Where the sanctions of a room are listed now: {room, list}. */
let shown = null;

function note(text) {
  const li = document.createElement("li");
  li.className = "more-rooms";
  li.textContent = text;
  return li;
}

function sanctionItem(room, sanction) {
  const li = document.createElement("li");
  li.className = "sanction";
  const who = document.createElement("bdi");
  who.className = "sanction-name";
  who.textContent = sanction.name;
  const what = DONE[sanction.kind] ?? "banned";
  const until = sanction.until ? `until ${formatWhen(new Date(sanction.until))}` : "until lifted";
  const detail = document.createElement("span");
  detail.className = "sanction-detail";
  const why = sanction.reason ? `: ${sanction.reason}` : "";
  detail.textContent = ` ${what} ${until} by ${sanction.by}${why}`;
  const lift = document.createElement("button");
  lift.type = "button";
  lift.className = "link-button";
  const action = sanction.kind === "mute" ? "unmute" : "unban";
  lift.textContent = VERB[action];
  lift.setAttribute("aria-label", `${VERB[action]} ${sanction.name}`);
  lift.addEventListener("click", () => {
    if (!moderate({ Type: VERB[action], Room: room.name, Name: sanction.name })) {
      showAlert(NOT_CONNECTED);
    }
  });
  li.append(who, detail, " ", lift);
  return li;
}

/** List the bans and mutes in force in `room` in `list` (for its moderators). */
export async function showSanctions(room, list) {
  shown = { room, list };
  let body = null;
  try {
    const path = `/api/rooms/${encodeURIComponent(room.name)}/sanctions`;
    const response = await fetch(path, { cache: "no-store" });
    body = response.ok ? await response.json() : null;
  } catch {
    body = null;
  }
  if (shown?.list !== list) return;
  const sanctions = Array.isArray(body?.sanctions) ? body.sanctions : null;
  if (!sanctions) list.replaceChildren(note("The sanctions could not be loaded."));
  else if (sanctions.length === 0) list.replaceChildren(note("Nobody is banned or muted here."));
  else list.replaceChildren(...sanctions.map((each) => sanctionItem(room, each)));
}

function refreshSanctions() {
  if (shown?.list.closest("dialog")?.open) showSanctions(shown.room, shown.list);
}
