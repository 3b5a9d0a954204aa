// "alice is typing…": telling the room while this user types, and showing under the message
// box who else is typing in the room on screen.
//
// While a message box has text, a {"Type":"Typing"} goes out at most every TYPING_EVERY_MS (the
// server forgets a typer 6 s after the last one); clearing the box or sending the line sends
// {"Type":"Typing","Stop":true}. The server's {"Type":"Typing","Names":[...]} says who types now.

import { $ } from "./dom.js";
import { ready, send } from "./link.js";
import { currentRoom, state, watch } from "./store.js";

const TYPING_EVERY_MS = 3_000;

const ui = { typing: $("typing") };

/** Where this user is typing: {room, at} (when the last Typing went out), or null. */
let typing = null;

/** The text of a message box of `room` is now `text`. */
export function typed(room, text) {
  if (!text) {
    stop();
    return;
  }
  if (typing?.room === room.name && Date.now() - typing.at < TYPING_EVERY_MS) return;
  stop();
  if (room.status !== "joined" || !ready()) return;
  send({ Type: "Typing", Room: room.name });
  typing = { room: room.name, at: Date.now() };
}

function stop() {
  if (!typing) return;
  const room = state.rooms.get(typing.room);
  typing = null;
  if (room?.status === "joined" && ready()) send({ Type: "Typing", Room: room.name, Stop: true });
}

export function onTyping(frame) {
  const room = state.rooms.get(frame.Room);
  if (!room || !Array.isArray(frame.Names)) return;
  room.typing = frame.Names.filter((name) => typeof name === "string" && name !== state.nick);
  if (room === currentRoom()) renderTyping();
}

/** "alice is typing…", "alice and bob are typing…", "several people are typing…" or "". */
export function typingParts(names) {
  if (names.length === 0) return [];
  const name = (text) => {
    const element = document.createElement("bdi");
    element.className = "typing-name";
    element.textContent = text;
    return element;
  };
  if (names.length === 1) return [name(names[0]), " is typing…"];
  if (names.length === 2) return [name(names[0]), " and ", name(names[1]), " are typing…"];
  return ["several people are typing…"];
}

function renderTyping() {
  const room = currentRoom();
  ui.typing.replaceChildren(...typingParts(room && room.status === "joined" ? room.typing : []));
}

watch("current", () => {
  if (typing && typing.room !== state.current) stop();
  renderTyping();
});
// Joined again after a drop: the server forgot who typed; so does this page until it says.
watch("membership", renderTyping);
