// Mentions and direct lines (the Notify frame): each counts as a mention in its room; while the
// page is hidden it also counts in the tab's title, "(3) roomcast", until the page is seen
// again, and shows a desktop notification ("alice in #room" or "alice (direct)", the line as
// its text) whose click brings the page forward at that message.
//
// Desktop notifications need the browser's permission: the button in the rooms panel asks for
// it; the page never asks on its own.

import { decodeText } from "./codec.js";
import { actionText } from "./commands.js";
import { $ } from "./dom.js";
import { goToMessage } from "./replies.js";
import { openRoom } from "./rooms.js";
import { changed, state } from "./store.js";
import { mentionArrived } from "./unread.js";

const BODY_CHARS = 200;

const ui = {
  section: $("notifications"),
  enable: $("notify-enable"),
  text: $("notify-state"),
};

const supported = "Notification" in window;

export function onNotify(frame) {
  const room = state.rooms.get(frame.Room);
  const id = Number(frame.ID);
  if (room) mentionArrived(room, id);
  if (!document.hidden) return;
  state.unseen += 1;
  changed("rooms");
  if (supported && Notification.permission === "granted") showNotification(frame, id);
}

function showNotification(frame, id) {
  const author = typeof frame.Author === "string" ? frame.Author : "Someone";
  const title = frame.Kind === "direct" ? `${author} (direct)` : `${author} in #${frame.Room}`;
  const text = decodeText(frame.Message);
  const action = actionText(text);
  const body = [...(action === null ? text : `* ${author} ${action}`)].slice(0, BODY_CHARS);
  let notification;
  try {
    // The tag is the message's: the person's other tabs show the same one, not another.
    notification = new Notification(title, { body: body.join(""), tag: `${frame.Room}/${id}` });
  } catch {
    return; // Some browsers only allow notifications from a service worker.
  }
  notification.addEventListener("click", () => {
    window.focus();
    notification.close();
    const room = state.rooms.get(frame.Room);
    if (!room) return;
    openRoom(room.name);
    goToMessage(room, id, "The message is not available any more.");
  });
}

function renderPermission() {
  ui.section.hidden = !supported;
  if (!supported) return;
  const permission = Notification.permission;
  ui.enable.hidden = permission !== "default";
  if (permission === "granted") {
    ui.text.textContent = "On: mentions and direct messages while this tab is in the background.";
  } else if (permission === "denied") {
    ui.text.textContent = "Blocked in this browser's settings for this site.";
  } else {
    ui.text.textContent = "Get one for mentions and direct messages while you are away.";
  }
}

ui.enable.addEventListener("click", async () => {
  try {
    await Notification.requestPermission();
  } catch {
    // An old browser without the promise form: the permission shows as it is.
  }
  renderPermission();
});
document.addEventListener("visibilitychange", () => {
  if (document.hidden || state.unseen === 0) return;
  state.unseen = 0;
  changed("rooms");
});
renderPermission();
