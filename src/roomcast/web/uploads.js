// Files on their way into a line: picked with the attach button, pasted into the message box
// (images from the clipboard) or dropped onto the room. Each is uploaded at once
// (`POST /api/rooms/{room}/uploads`, the file as the body, its type as Content-Type, its name
// percent-encoded in X-Filename) by XMLHttpRequest, for its progress, with the login's cookie
// and the WebSocket session in X-Roomcast-Session (a guest's uploads belong to its session).
// The tray over the message box shows one chip per file: a progress bar and a cancel button
// while it uploads, then a remove button, or why the server refused it. The next line of the
// room takes the uploaded ones (takeAttachments) as "Attachments": [id, ...].

import { showAlert } from "./alerts.js";
import { $ } from "./dom.js";
import { humanSize } from "./format.js";
import { currentRoom, state, watch } from "./store.js";

const ui = {
  chat: $("chat"),
  tray: $("uploads"),
  attach: $("attach-button"),
  picker: $("attach-input"),
  input: $("composer-input"),
};

/** Every upload of this page: {room, file, status, progress, id?, error?, xhr, li}. */
const uploads = [];

const uploadPath = (room) => `/api/rooms/${encodeURIComponent(room)}/uploads`;

/** What the server said went wrong (its JSON error), for people. */
function refusal(xhr) {
  let message = "";
  try {
    message = JSON.parse(xhr.responseText)?.error?.message ?? "";
  } catch {
    message = "";
  }
  if (xhr.status === 413) return message ? `Too large: ${message}` : "Too large for this server.";
  if (xhr.status === 401) return "Log in to share files.";
  if (xhr.status === 0) return "The server cannot be reached.";
  if (message) return message[0].toUpperCase() + message.slice(1);
  return `Refused by the server (${xhr.status}).`;
}

/** Upload `files` (a FileList or an array) into `room`, each with its own chip. */
export function uploadFiles(room, files) {
  for (const file of files) {
    const upload = { room: room.name, file, status: "uploading", progress: 0, li: null };
    upload.li = renderUpload(upload);
    uploads.push(upload);
    send(upload);
  }
  renderTray();
}

function send(upload) {
  const { file } = upload;
  const xhr = new XMLHttpRequest();
  upload.xhr = xhr;
  xhr.open("POST", uploadPath(upload.room));
  xhr.withCredentials = true;
  xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
  xhr.setRequestHeader("X-Filename", encodeURIComponent(file.name));
  if (state.session) xhr.setRequestHeader("X-Roomcast-Session", state.session);
  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) setProgress(upload, event.loaded / event.total);
  });
  xhr.addEventListener("load", () => {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      body = null;
    }
    if (xhr.status === 201 && typeof body?.id === "string") finished(upload, body);
    else failed(upload, refusal(xhr));
  });
  xhr.addEventListener("error", () => failed(upload, refusal(xhr)));
  xhr.send(file);
}

function finished(upload, body) {
  upload.status = "done";
  upload.id = body.id;
  upload.name = typeof body.name === "string" ? body.name : upload.file.name;
  setProgress(upload, 1);
  refreshUpload(upload);
}

function failed(upload, message) {
  upload.status = "failed";
  upload.error = message;
  refreshUpload(upload);
}

/** Cancel an upload on its way, or take a finished or failed one off the tray. */
function discard(upload) {
  if (upload.status === "uploading") upload.xhr.abort();
  const index = uploads.indexOf(upload);
  if (index >= 0) uploads.splice(index, 1);
  const next = upload.li.nextElementSibling ?? upload.li.previousElementSibling;
  const hadFocus = upload.li.contains(document.activeElement);
  upload.li.remove();
  renderTray();
  if (hadFocus) (next?.querySelector("button") ?? ui.input).focus();
}

/**
 * The uploaded files of `room` for its next line, taken off the tray: [{id, name, size, type}];
 * null (and the person is told) while some are still uploading.
 */
export function takeAttachments(room) {
  const mine = uploads.filter((upload) => upload.room === room.name);
  if (mine.some((upload) => upload.status === "uploading")) {
    showAlert("Wait for the files to finish uploading, or cancel them.");
    return null;
  }
  const done = mine.filter((upload) => upload.status === "done");
  for (const upload of done) discard(upload);
  return done.map(({ id, name, file }) => ({ id, name, size: file.size, type: file.type }));
}

// -- the tray ------------------------------------------------------------------------------------

function renderUpload(upload) {
  const li = document.createElement("li");
  li.className = "upload";
  const name = document.createElement("bdi");
  name.className = "upload-name";
  name.textContent = upload.file.name;
  const size = document.createElement("span");
  size.className = "upload-size";
  size.textContent = humanSize(upload.file.size);
  const bar = document.createElement("progress");
  bar.className = "upload-progress";
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", `Uploading ${upload.file.name}`);
  const error = document.createElement("span");
  error.className = "upload-error";
  error.setAttribute("role", "alert");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "icon-button small upload-remove";
  button.textContent = "×";
  button.addEventListener("click", () => discard(upload));
  li.append(name, " ", size, bar, error, button);
  refreshUpload(upload, li);
  return li;
}

function setProgress(upload, fraction) {
  upload.progress = fraction;
  upload.li.querySelector(".upload-progress").value = fraction;
}

function refreshUpload(upload, li = upload.li) {
  li.dataset.status = upload.status;
  li.querySelector(".upload-progress").hidden = upload.status !== "uploading";
  li.querySelector(".upload-error").textContent = upload.error ?? "";
  const button = li.querySelector(".upload-remove");
  const name = upload.file.name;
  const label =
    upload.status === "uploading" ? `Cancel the upload of ${name}` : `Remove ${name}`;
  button.setAttribute("aria-label", label);
  button.title = label;
}

/** The tray shows the uploads of the room on screen. */
function renderTray() {
  const room = currentRoom();
  const shown = uploads.filter((upload) => upload.room === room?.name);
  ui.tray.replaceChildren(...shown.map((upload) => upload.li));
  ui.tray.hidden = shown.length === 0;
}

watch("current", renderTray);

// -- picking, pasting and dropping ---------------------------------------------------------------

ui.attach.addEventListener("click", () => ui.picker.click());
ui.picker.addEventListener("change", () => {
  const room = currentRoom();
  if (room && ui.picker.files.length > 0) uploadFiles(room, [...ui.picker.files]);
  ui.picker.value = "";
  ui.input.focus();
});

ui.input.addEventListener("paste", (event) => {
  const files = [...(event.clipboardData?.files ?? [])];
  const room = currentRoom();
  if (files.length === 0 || !room) return;
  event.preventDefault();
  uploadFiles(room, files);
});

const carriesFiles = (event) => event.dataTransfer?.types.includes("Files") ?? false;
let dragDepth = 0;

function setDropping(on) {
  ui.chat.classList.toggle("dropping", on);
  if (!on) dragDepth = 0;
}

// Files dropped anywhere else must not replace the page with the file.
for (const type of ["dragover", "drop"]) {
  document.addEventListener(type, (event) => {
    if (carriesFiles(event)) event.preventDefault();
  });
}
ui.chat.addEventListener("dragenter", (event) => {
  if (!carriesFiles(event)) return;
  dragDepth += 1;
  setDropping(true);
});
ui.chat.addEventListener("dragleave", () => {
  dragDepth -= 1;
  if (dragDepth <= 0) setDropping(false);
});
ui.chat.addEventListener("drop", (event) => {
  setDropping(false);
  const room = currentRoom();
  const files = [...(event.dataTransfer?.files ?? [])];
  if (!room || files.length === 0) return;
  event.preventDefault();
  uploadFiles(room, files);
  ui.input.focus();
});
