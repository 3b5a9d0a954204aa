// Editing one's own lines in place: the editor replaces the line's text (Enter saves,
// Shift+Enter adds a line, Esc cancels; Up arrow in an empty message box edits one's last line),
// {"Type":"Edit"} goes out with a Ref, and its Ack or Error closes or explains the editor.
// Edited events (live and on resume) change the text wherever the line is; the "(edited)"
// marker asks for the line's versions ({"Type":"Edits"}) and lists them in a dialog.

import { encodeText, decodeText } from "./codec.js";
import { $, timeElement } from "./dom.js";
import { entryOf, mayEdit } from "./entries.js";
import { linkify } from "./format.js";
import { countChars, MAX_TEXT_CHARS, overLimit } from "./limits.js";
import { connection, ready, request } from "./link.js";
import { refreshLine } from "./line.js";
import { logEvent } from "./messages.js";
import { currentRoom, state } from "./store.js";

const ui = {
  input: $("composer-input"),
  threadInput: $("thread-input"),
  threadList: $("thread-list"),
  versions: $("versions"),
  versionsTitle: $("versions-title"),
  versionsList: $("versions-list"),
};

/** The open editor: {room, id, li, form, box, status, sent}, or null. */
let editor = null;

/** Open the editor on line `li` (message `entry` of `room`). */
export function startEdit(room, entry, li) {
  if (!mayEdit(room, entry)) return;
  if (editor?.li === li) {
    editor.box.focus();
    return;
  }
  closeEditor(false);
  const body = li.querySelector(".msg-body");
  const form = document.createElement("form");
  form.className = "editor";
  const box = document.createElement("textarea");
  box.className = "editor-input";
  box.rows = 1;
  box.value = entry.text;
  box.setAttribute("aria-label", "Edit the message");
  const hint = document.createElement("span");
  hint.className = "editor-hint";
  hint.textContent = "Enter saves · Esc cancels";
  const save = document.createElement("button");
  save.type = "submit";
  save.className = "link-button";
  save.textContent = "Save";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "link-button";
  cancel.textContent = "Cancel";
  const status = document.createElement("span");
  status.className = "editor-status";
  status.setAttribute("role", "status");
  const row = document.createElement("div");
  row.className = "editor-row";
  row.append(hint, " ", save, " ", cancel, " ", status);
  form.append(box, row);
  body.querySelector(".text").after(form);
  countChars(box, MAX_TEXT_CHARS);
  li.classList.add("editing");
  editor = { room, id: entry.id, li, form, box, status, sent: null };

  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      saveEdit();
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closeEditor(true);
    }
  });
  box.addEventListener("input", () => autosize(box));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    saveEdit();
  });
  cancel.addEventListener("click", () => closeEditor(true));
  autosize(box);
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
}

function autosize(box) {
  box.style.height = "auto";
  box.style.height = `${box.scrollHeight}px`;
}

function saveEdit() {
  if (!editor || editor.sent !== null) return;
  const { room, id, box, status } = editor;
  const entry = room.entries.get(id);
  const text = box.value;
  if (!entry) {
    closeEditor(true);
    return;
  }
  if (!text.trim()) {
    status.textContent = "A message cannot be empty: delete it instead.";
    return;
  }
  if (text === entry.text) {
    closeEditor(true);
    return;
  }
  const tooLong = overLimit(text, MAX_TEXT_CHARS, "A message");
  if (tooLong) {
    status.textContent = tooLong;
    return;
  }
  if (!ready()) {
    status.textContent = "Not connected: try again once the connection is back.";
    return;
  }
  editor.sent = text;
  box.readOnly = true;
  status.textContent = "Saving…";
  const frame = { Type: "Edit", Room: room.name, Target: id, Message: encodeText(text) };
  request("edit", frame, { room: room.name, target: id });
}

/** Close the editor; `refocus` gives the focus back to its line. */
function closeEditor(refocus) {
  if (!editor) return;
  const { li, form } = editor;
  const hadFocus = form.contains(document.activeElement);
  editor = null;
  form.remove();
  li.classList.remove("editing");
  if (refocus && hadFocus && li.isConnected) {
    li.tabIndex = -1;
    li.focus();
  }
}

const editing = (req) => editor?.room.name === req.room && editor.id === req.target;

/** The Ack of an Edit: saved (or the text was already so). */
export function editSaved(req) {
  if (editing(req)) closeEditor(true);
}

/** The Error of an Edit: say why in the editor, which stays open. */
export function editRefused(req, message) {
  if (!editing(req)) return false;
  editor.sent = null;
  editor.box.readOnly = false;
  editor.status.textContent = `Not saved: ${message}`;
  return true;
}

export function onEdited(frame) {
  const hit = logEvent(frame);
  if (!hit) return;
  const { room, entry } = hit;
  entry.text = decodeText(frame.Message);
  entry.edited = frame.Time ? new Date(frame.Time) : new Date();
  refreshLine(room, entry);
  if (editor?.room === room && editor.id === entry.id && editor.sent === entry.text) {
    closeEditor(true);
  }
}

/** The last line of `list` this user may edit, edited (Up arrow in an empty message box). */
function editLast(room, list) {
  const lines = [...list.querySelectorAll("li.msg[data-id]")].reverse();
  for (const li of lines) {
    const entry = entryOf(room, li.dataset.id);
    if (entry && mayEdit(room, entry)) {
      li.scrollIntoView({ block: "nearest" });
      startEdit(room, entry, li);
      return true;
    }
  }
  return false;
}

function onBoxKey(event, list, room) {
  const plain = !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey;
  if (event.key !== "ArrowUp" || !plain || event.target.value !== "" || !room) return;
  if (editLast(room, list)) event.preventDefault();
}

ui.input.addEventListener("keydown", (event) => {
  const room = currentRoom();
  onBoxKey(event, room?.list, room);
});
ui.threadInput.addEventListener("keydown", (event) => {
  onBoxKey(event, ui.threadList, state.rooms.get(ui.threadList.dataset.room));
});

// A dropped connection loses the answer: the editor can try again.
connection.addEventListener("closed", () => {
  if (editor?.sent == null) return;
  editor.sent = null;
  editor.box.readOnly = false;
  editor.status.textContent = "Not saved: the connection dropped. Press Enter to try again.";
});

// -- versions ------------------------------------------------------------------------------

let versionsOpener = null;

/** Ask for the versions of message `id` of `room` (its "(edited)" marker was clicked). */
function askVersions(room, id, opener) {
  if (!ready()) return;
  versionsOpener = opener;
  request("edits", { Type: "Edits", Room: room.name, Target: id }, { room: room.name });
}

export function onEdits(frame) {
  if (frame.Ref) state.requests.delete(frame.Ref);
  const room = state.rooms.get(frame.Room);
  const entry = room?.entries.get(frame.Target);
  const versions = Array.isArray(frame.Versions) ? frame.Versions : [];
  if (!entry || versions.length === 0) return;
  ui.versionsTitle.replaceChildren("Versions of ");
  const author = document.createElement("bdi");
  author.textContent = entry.author;
  ui.versionsTitle.append(author, "’s message");
  const items = versions.map((version, index) => {
    const li = document.createElement("li");
    li.className = "version";
    const label = document.createElement("span");
    label.className = "version-label";
    const last = index === versions.length - 1;
    label.textContent = index === 0 ? "Original" : last ? "Current" : `Edit ${index}`;
    const text = document.createElement("div");
    text.className = "text";
    text.dir = "auto";
    text.append(linkify(decodeText(version.Message)));
    const when = version.Time ? timeElement(new Date(version.Time)) : "";
    li.append(label, " ", when, text);
    return li;
  });
  ui.versionsList.replaceChildren(...items);
  if (!ui.versions.open) ui.versions.showModal();
}

ui.versions.addEventListener("close", () => {
  if (versionsOpener?.isConnected) versionsOpener.focus();
  versionsOpener = null;
});
document.addEventListener("click", (event) => {
  const marker = event.target.closest?.(".edited-marker");
  const li = marker?.closest("li.msg[data-id]");
  if (!li) return;
  const list = li.closest("ol");
  const room = list === ui.threadList ? state.rooms.get(list.dataset.room) : currentRoom();
  if (room) askVersions(room, Number(li.dataset.id), marker);
});
