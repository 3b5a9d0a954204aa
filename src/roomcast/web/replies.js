// Replying to a message: the "Replying to alice" bar over the message box (the next line sent
// from it carries "ReplyTo"), and the quotes above replies, which lead to the message they
// answer when clicked: on screen it scrolls there; not loaded, older history pages in until it
// is (or the search gives up); in a thread, the thread opens. A desktop notification's click
// goes to its message the same way.

import { showAlert } from "./alerts.js";
import { actionText } from "./commands.js";
import { $ } from "./dom.js";
import { seekOlder } from "./history.js";
import { currentRoom, state, watch } from "./store.js";
import { openThread } from "./thread.js";

const FLASH_MS = 1_600;
const QUOTE_MISSING = "The message this replies to is not available.";

const ui = {
  bar: $("reply-bar"),
  author: $("reply-author"),
  text: $("reply-text"),
  cancel: $("reply-cancel"),
  input: $("composer-input"),
  threadList: $("thread-list"),
};

/** The message the next line answers: {room, id}, or null. */
let target = null;

export function startReply(room, entry) {
  target = { room: room.name, id: entry.id };
  ui.author.textContent = entry.author;
  const action = actionText(entry.text);
  ui.text.textContent = action === null ? entry.text : `* ${entry.author} ${action}`;
  ui.bar.hidden = false;
  ui.input.focus();
}

export function cancelReply() {
  target = null;
  ui.bar.hidden = true;
}

export const replying = () => target !== null;

/** The ID the next line of `room` answers, if any; the reply bar goes. */
export function takeReply(room) {
  if (target?.room !== room.name) return null;
  const { id } = target;
  cancelReply();
  return id;
}

/**
 * Scroll to message `id` of `room` and point it out; `list` is searched first. A message not
 * held is paged in; when the room has none such, `missing` is the alert.
 */
export function goToMessage(room, id, missing, list = null) {
  const selector = `li.msg[data-id="${id}"]`;
  const threadList = ui.threadList.dataset.room === room.name ? ui.threadList : null;
  for (const where of [list, room.list, threadList]) {
    const li = where?.querySelector(selector);
    if (li) {
      pointOut(li);
      return;
    }
  }
  const entry = room.entries.get(id);
  if (entry?.thread != null) {
    openThread(room, entry.thread);
    return;
  }
  if (entry) return;
  seekOlder(
    room,
    id,
    () => {
      if (room === currentRoom()) goToMessage(room, id, missing, room.list);
    },
    () => showAlert(missing),
  );
}

function pointOut(li) {
  li.scrollIntoView({ block: "center" });
  li.tabIndex = -1;
  li.focus({ preventScroll: true });
  li.classList.add("flash");
  setTimeout(() => li.classList.remove("flash"), FLASH_MS);
}

document.addEventListener("click", (event) => {
  const quote = event.target.closest?.(".quote[data-target]");
  if (!quote) return;
  const list = quote.closest("ol");
  const room = list === ui.threadList ? state.rooms.get(list.dataset.room) : currentRoom();
  if (room) goToMessage(room, Number(quote.dataset.target), QUOTE_MISSING, list);
});
ui.cancel.addEventListener("click", () => {
  cancelReply();
  ui.input.focus();
});
watch("current", () => {
  if (target && target.room !== state.current) cancelReply();
});
