// Reactions: the picker (common emoji, then the ones used in the room), the chips under a
// message (line.js draws them: count, this user's highlighted, who reacted on hover and focus),
// a click on a chip toggling this user's reaction, and Reaction events (live and on resume)
// adding or taking away a name.

import { $ } from "./dom.js";
import { entryOf, react, usedEmoji } from "./entries.js";
import { ready, request } from "./link.js";
import { refreshLine } from "./line.js";
import { logEvent } from "./messages.js";
import { currentRoom, state } from "./store.js";

const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀", "🚀", "✅", "🔥", "👎"];
const MAX_USED = 12;
const COLUMNS = 6;
const GAP_PX = 6;

const ui = {
  picker: $("emoji-picker"),
  common: $("emoji-common"),
  usedHeading: $("emoji-used-heading"),
  used: $("emoji-used"),
  threadList: $("thread-list"),
};

/** What the picker is open for: {room, id, opener}, or null. */
let picking = null;

/** Add this user's `emoji` to message `entry` of `room`, or take it back when it is there. */
export function toggleReaction(room, entry, emoji) {
  if (!ready()) return;
  const mine = (entry.reactions.get(emoji) ?? []).includes(state.nick);
  const frame = { Type: "React", Room: room.name, Target: entry.id, Emoji: emoji, Remove: mine };
  request("react", frame, { room: room.name });
}

export function onReaction(frame) {
  const hit = logEvent(frame);
  if (!hit || typeof frame.Emoji !== "string" || typeof frame.Name !== "string") return;
  const { room, entry } = hit;
  if (react(entry, frame.Emoji, frame.Name, Boolean(frame.Removed))) refreshLine(room, entry);
}

/** Open the picker for message `entry` of `room`, beside `opener` (which gets the focus back). */
export function openPicker(room, entry, opener) {
  closePicker(false);
  // The opener may be in a line's actions bar, shown only while the line has the focus: it
  // stays shown while the picker is open, so that the focus can come back to it.
  const line = opener.closest("li.msg");
  line?.classList.add("picking");
  picking = { room, id: entry.id, opener, line };
  const mine = (emoji) => (entry.reactions.get(emoji) ?? []).includes(state.nick);
  const button = (emoji) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "emoji-choice";
    b.dataset.emoji = emoji;
    b.textContent = emoji;
    b.setAttribute("aria-pressed", String(mine(emoji)));
    return b;
  };
  ui.common.replaceChildren(...COMMON_EMOJI.map(button));
  const used = usedEmoji(room)
    .filter((emoji) => !COMMON_EMOJI.includes(emoji))
    .slice(0, MAX_USED);
  ui.used.replaceChildren(...used.map(button));
  ui.usedHeading.hidden = used.length === 0;
  ui.used.hidden = used.length === 0;
  ui.picker.hidden = false;
  place(opener);
  ui.common.firstElementChild.focus();
}

/** Beside the opener, inside the window (phones show the picker as a sheet instead, in CSS). */
function place(opener) {
  const anchor = opener.getBoundingClientRect();
  const box = ui.picker.getBoundingClientRect();
  let top = anchor.top - box.height - GAP_PX;
  if (top < GAP_PX) top = anchor.bottom + GAP_PX;
  top = Math.min(top, window.innerHeight - box.height - GAP_PX);
  const left = Math.min(Math.max(GAP_PX, anchor.right - box.width), window.innerWidth - box.width);
  ui.picker.style.setProperty("--picker-top", `${Math.max(GAP_PX, top)}px`);
  ui.picker.style.setProperty("--picker-left", `${Math.max(GAP_PX, left)}px`);
}

export function closePicker(refocus) {
  if (!picking) return;
  const { opener, line } = picking;
  picking = null;
  ui.picker.hidden = true;
  if (refocus && opener.isConnected) opener.focus();
  line?.classList.remove("picking");
}

ui.picker.addEventListener("click", (event) => {
  const choice = event.target.closest(".emoji-choice");
  if (!choice || !picking) return;
  const entry = picking.room.entries.get(picking.id);
  if (entry) toggleReaction(picking.room, entry, choice.dataset.emoji);
  closePicker(true);
});

// Arrow keys move between the emoji (rows of COLUMNS), Esc closes, leaving the picker closes.
ui.picker.addEventListener("keydown", (event) => {
  const choices = [...ui.picker.querySelectorAll(".emoji-choice")];
  const index = choices.indexOf(document.activeElement);
  const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -COLUMNS, ArrowDown: COLUMNS }[event.key];
  if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    closePicker(true);
  } else if (step !== undefined && index >= 0) {
    event.preventDefault();
    choices[Math.min(choices.length - 1, Math.max(0, index + step))].focus();
  } else if (event.key === "Home" || event.key === "End") {
    event.preventDefault();
    choices[event.key === "Home" ? 0 : choices.length - 1].focus();
  }
});
ui.picker.addEventListener("focusout", (event) => {
  const to = event.relatedTarget;
  if (picking && !ui.picker.contains(to) && to !== picking.opener) closePicker(false);
});
document.addEventListener("pointerdown", (event) => {
  if (picking && !ui.picker.contains(event.target) && event.target !== picking.opener) {
    closePicker(false);
  }
});

// A chip toggles this user's reaction; the "+" after the chips opens the picker.
document.addEventListener("click", (event) => {
  const chip = event.target.closest?.(".reaction, .reaction-add");
  const li = chip?.closest("li.msg[data-id]");
  if (!li) return;
  const list = li.closest("ol");
  const room = list === ui.threadList ? state.rooms.get(list.dataset.room) : currentRoom();
  const entry = room ? entryOf(room, li.dataset.id) : null;
  if (!entry) return;
  if (chip.classList.contains("reaction")) toggleReaction(room, entry, chip.dataset.emoji);
  else if (picking?.opener === chip) closePicker(true);
  else openPicker(room, entry, chip);
});
