// Running a room from the page: its topic in the room's heading (live: every Room frame), a new
// room with its settings (the Create frame: name, public or private, topic), and for the room's
// moderators the room settings: the topic (Topic), the people with a role (GET
// /api/rooms/{room}/access) — invite an account to a private room, take it out, make or unmake a
// moderator (the owner; the Role frame) — and the bans and mutes in force (sanctions.js).
//
// Only what this user may do is offered (roles.js); a refusal shows in the dialog.

import { showAlert } from "./alerts.js";
import { dialogButton, field, makeDialog, textInput } from "./dialogs.js";
import { $ } from "./dom.js";
import { normaliseRoom, roomProblem } from "./format.js";
import { countChars, MAX_ROOM_CHARS, MAX_TOPIC_CHARS, overLimit, recount } from "./limits.js";
import { ready, request } from "./link.js";
import { mayAppoint, mayModerate } from "./roles.js";
import { openRoom } from "./rooms.js";
import { showSanctions } from "./sanctions.js";
import { currentRoom, state, watch } from "./store.js";

const NOT_CONNECTED = "Not connected: try again once the connection is back.";
const KINDS = new Set(["create", "topic", "role"]);

const ui = { topic: $("room-topic"), settings: $("room-settings"), newRoom: $("new-room") };

function heading(text) {
  const element = document.createElement("h3");
  element.className = "dialog-heading";
  element.textContent = text;
  return element;
}

function list(id) {
  const element = document.createElement("ul");
  element.className = "admin-list";
  element.id = id;
  return element;
}

function ask(frame, kind, status) {
  if (!ready()) {
    status.textContent = NOT_CONNECTED;
    return;
  }
  request(kind, frame, { room: frame.Room, name: frame.Name });
}

// -- the room's heading ------------------------------------------------------------------------

function renderHeader() {
  const room = currentRoom();
  const topic = room && !room.direct ? room.topic : "";
  ui.topic.textContent = topic;
  ui.topic.title = topic;
  ui.topic.hidden = !topic;
  ui.settings.hidden = !(room && !room.direct && mayModerate(room));
  ui.newRoom.hidden = !state.user;
  if (settings.dialog.open && settings.room !== room) settings.dialog.close();
}

// -- creating a room ---------------------------------------------------------------------------

const create = makeDialog("Create a room", submitCreate);
const createName = textInput("room", "room-name");
const createPrivate = document.createElement("input");
createPrivate.type = "checkbox";
createPrivate.id = "create-private";
const privateRow = document.createElement("label");
privateRow.className = "check-row";
privateRow.append(createPrivate, " Private: only the people you invite can join");
const createTopic = textInput("topic", "What the room is about");
create.body.append(
  field("create-name", "Name", createName),
  privateRow,
  field("create-topic", "Topic", createTopic),
);
countChars(createName, MAX_ROOM_CHARS);
countChars(createTopic, MAX_TOPIC_CHARS);
create.buttons.append(
  dialogButton("Cancel", { dialog: create.dialog }),
  dialogButton("Create", { submit: true, className: "" }),
);

function openCreate() {
  for (const input of [createName, createTopic]) {
    input.value = "";
    recount(input);
  }
  createPrivate.checked = false;
  create.status.textContent = "";
  create.dialog.showModal();
  createName.focus();
}

function submitCreate() {
  const name = normaliseRoom(createName.value);
  const problem = name
    ? overLimit(createTopic.value, MAX_TOPIC_CHARS, "A topic")
    : roomProblem(createName.value);
  if (problem) {
    create.status.textContent = problem;
    return;
  }
  const frame = { Type: "Create", Room: name, Private: createPrivate.checked };
  if (createTopic.value.trim()) frame.Topic = createTopic.value.trim();
  ask(frame, "create", create.status);
}

// -- the room settings -------------------------------------------------------------------------

const settings = makeDialog("Room settings", submitTopic);
settings.room = null;
const topicInput = textInput("topic", "No topic");
const topicSave = dialogButton("Save the topic", { submit: true, className: "" });
const topicField = field("settings-topic", "Topic", topicInput);
topicField.querySelector(".field-row").append(topicSave);
countChars(topicInput, MAX_TOPIC_CHARS);
const members = list("room-members");
const inviteInput = textInput("account", "account name");
const inviteField = field("invite-name", "Account", inviteInput);
const inviteButton = dialogButton("Invite", { className: "" });
const appointButton = dialogButton("Make moderator", { className: "secondary" });
inviteField.querySelector(".field-row").append(inviteButton, appointButton);
const sanctionList = list("room-sanctions");
const peopleSection = document.createElement("section");
peopleSection.append(heading("People with a role"), members, inviteField);
const sanctionSection = document.createElement("section");
sanctionSection.append(heading("Banned and muted"), sanctionList);
settings.body.append(topicField, peopleSection, sanctionSection);
settings.buttons.append(dialogButton("Close", { dialog: settings.dialog }));

function openSettings() {
  const room = currentRoom();
  if (!room || !mayModerate(room)) return;
  settings.room = room;
  settings.heading.textContent = `${room.label} settings`;
  topicInput.value = room.topic;
  recount(topicInput);
  inviteInput.value = "";
  settings.status.textContent = "";
  inviteButton.hidden = !room.private;
  appointButton.hidden = !mayAppoint(room);
  inviteField.hidden = inviteButton.hidden && appointButton.hidden;
  settings.dialog.showModal();
  topicInput.focus();
  loadMembers(room);
  showSanctions(room, sanctionList);
}

function submitTopic() {
  const room = settings.room;
  const problem = overLimit(topicInput.value, MAX_TOPIC_CHARS, "A topic");
  if (problem) {
    settings.status.textContent = problem;
    return;
  }
  const frame = { Type: "Topic", Room: room.name, Topic: topicInput.value.trim() };
  ask(frame, "topic", settings.status);
}

function setRole(name, role) {
  ask({ Type: "Role", Room: settings.room.name, Name: name, Role: role }, "role", settings.status);
}

function memberItem(room, name, role) {
  const li = document.createElement("li");
  li.className = "admin-member";
  const who = document.createElement("bdi");
  who.textContent = name;
  const tag = document.createElement("span");
  tag.className = "role-tag";
  tag.textContent = role;
  li.append(who, " ", tag);
  const action = (label, run) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = label;
    button.setAttribute("aria-label", `${label}: ${name}`);
    button.addEventListener("click", run);
    li.append(" ", button);
  };
  if (role === "owner") return li;
  if (mayAppoint(room)) {
    if (role === "moderator") action("Unmake moderator", () => setRole(name, "member"));
    else action("Make moderator", () => setRole(name, "moderator"));
  }
  if (role === "member" || mayAppoint(room)) action("Remove", () => setRole(name, "none"));
  return li;
}

async function loadMembers(room) {
  let access = null;
  try {
    const response = await fetch(`/api/rooms/${encodeURIComponent(room.name)}/access`, {
      cache: "no-store",
    });
    access = response.ok ? await response.json() : null;
  } catch {
    access = null;
  }
  if (settings.room !== room) return;
  if (!access) {
    members.replaceChildren();
    settings.status.textContent = "The room's people could not be loaded.";
    return;
  }
  const items = [];
  if (access.owner) items.push(memberItem(room, access.owner, "owner"));
  for (const name of access.moderators) items.push(memberItem(room, name, "moderator"));
  for (const name of access.members) items.push(memberItem(room, name, "member"));
  if (items.length === 0) {
    const none = document.createElement("li");
    none.className = "more-rooms";
    none.textContent = "Nobody has a role here yet.";
    items.push(none);
  }
  members.replaceChildren(...items);
}

function fromInput(role) {
  const name = inviteInput.value.trim();
  if (!name) {
    settings.status.textContent = "Type an account name first.";
    return;
  }
  setRole(name, role);
  inviteInput.value = "";
}

// -- answers -----------------------------------------------------------------------------------

/** A Room frame: the answer to this page's Create, Topic or Role. */
export function roomAnswered(frame, req) {
  if (req?.kind === "create") {
    create.dialog.close();
    openRoom(frame.Room);
  } else if ((req?.kind === "topic" || req?.kind === "role") && settings.dialog.open) {
    settings.status.textContent = "";
    if (settings.room) loadMembers(settings.room);
  }
}

/** An Error for this page's Create, Topic or Role: said in its dialog. */
export function adminRefused(req, message) {
  if (!KINDS.has(req?.kind)) return false;
  const dialog = req.kind === "create" ? create : settings;
  if (dialog.dialog.open) dialog.status.textContent = message;
  else showAlert(message);
  return true;
}

watch("room", renderHeader);
watch("current", renderHeader);
watch("rooms", renderHeader);
ui.settings.addEventListener("click", openSettings);
ui.newRoom.addEventListener("click", openCreate);
inviteButton.addEventListener("click", () => fromInput("member"));
appointButton.addEventListener("click", () => fromInput("moderator"));
inviteInput.addEventListener("keydown", (event) => {
  if (event.key !== "Enter") return;
  event.preventDefault();
  fromInput(settings.room?.private ? "member" : "moderator");
});
