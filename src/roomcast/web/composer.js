// The message box: Enter sends, Shift+Enter adds a line, the box grows with its text, and a
// line that starts with a slash is a command (commands.js says which). A line takes the files
// uploaded for the room (uploads.js), and may be only those. A line sent while the
// reply bar is open answers that message (Esc closes the bar); the room hears that this user is
// typing (typing.js); Tab completes @names (complete.js).

import { showAlert } from "./alerts.js";
import { backToNewest } from "./around.js";
import { parseInput } from "./commands.js";
import { completeNames } from "./complete.js";
import { startDirect } from "./direct.js";
import { $ } from "./dom.js";
import { normaliseRoom } from "./format.js";
import { countChars, MAX_TEXT_CHARS, overLimit, recount } from "./limits.js";
import { addHelp } from "./messages.js";
import { requestNick } from "./nickname.js";
import { sendLine } from "./outbox.js";
import { cancelReply, replying, takeReply } from "./replies.js";
import { leaveRoom, openRoom } from "./rooms.js";
import { currentRoom, watch } from "./store.js";
import { typed } from "./typing.js";
import { takeAttachments } from "./uploads.js";

const ui = { composer: $("composer"), input: $("composer-input") };

function submitComposer() {
  const room = currentRoom();
  const raw = ui.input.value;
  const command = parseInput(raw);
  const tooLong = overLimit(raw, MAX_TEXT_CHARS, "A message");
  if (tooLong && (command.kind === "say" || command.kind === "me")) {
    showAlert(tooLong, { key: "too-long" });
    return;
  }
  switch (command.kind) {
    case "empty":
    case "say":
    case "me": {
      // The files uploaded for the room go with the line (which may be files only).
      const attachments = takeAttachments(room);
      if (attachments === null || (command.kind === "empty" && attachments.length === 0)) return;
      const text = command.kind === "me" ? `/me ${command.text}` : (command.text ?? "");
      backToNewest(room);
      sendLine(room, text, { replyTo: takeReply(room), attachments });
      break;
    }
    case "nick": {
      const problem = requestNick(command.name);
      if (problem) {
        showAlert(problem);
        return;
      }
      break;
    }
    case "join":
      if (!openRoom(command.room)) return;
      break;
    case "msg":
      if (!startDirect(command.name, command.text)) return;
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
  recount(ui.input);
  autosize();
  typed(room, "");
}

function autosize() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${ui.input.scrollHeight}px`;
}

/** Focus the message box. */
export function focusComposer() {
  ui.input.focus();
}

ui.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    submitComposer();
  } else if (event.key === "Escape" && replying()) {
    event.preventDefault();
    event.stopPropagation();
    cancelReply();
  }
});
completeNames(ui.input, () => currentRoom()?.users ?? []);
countChars(ui.input, MAX_TEXT_CHARS);
ui.input.addEventListener("input", () => {
  autosize();
  // Commands are not talk: only a line to be said tells the room this user is typing.
  const room = currentRoom();
  const kind = parseInput(ui.input.value).kind;
  if (room) typed(room, kind === "say" || kind === "me" ? ui.input.value : "");
});
ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submitComposer();
  ui.input.focus();
});
// The skip link moves the focus without touching the URL (its hash names the current room).
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  ui.input.focus();
});
function renderPlaceholder() {
  const room = currentRoom();
  if (room) ui.input.placeholder = `Message ${room.label}`;
}
watch("current", renderPlaceholder);
watch("rooms", renderPlaceholder);
