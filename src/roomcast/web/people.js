// The people of each room: the user list (a full `userlist` on joining, then Presence frames
// with changes), the notices when someone joins, leaves or is renamed, and the people panel
// (for a signed-in user each other person's name starts a direct conversation, and a menu
// beside it blocks them: person_menu.js handles those clicks).
//
// After a reconnect the lists fill up again as people come back: for a while (SETTLE_MS) no
// notices are shown, then only the net change since the drop is reported.
//
// A big room (its userlist carries Count) shows its count and pages the rest (members.js); its
// joins and leaves are too many to tell one by one, so they get no notices.

import { $, avatar } from "./dom.js";
import { GUEST_NICK, hueFor } from "./format.js";
import { countChanged, listCut, renderMore } from "./members.js";
import { addNotice } from "./messages.js";
import { hasMenu } from "./person_menu.js";
import { changed, currentRoom, isBlocked, isMe, state, watch } from "./store.js";

const SETTLE_MS = 4_000;

const ui = {
  people: $("people"),
  peopleCount: $("people-count"),
  peopleBadge: $("people-badge"),
};

export function onUserlist(frame) {
  const room = state.rooms.get(frame.Room ?? state.link.firstRoom);
  if (!room || !Array.isArray(frame.Users)) return;
  const names = frame.Users.map((user) => user?.Name).filter((n) => typeof n === "string");
  listCut(room, frame.Count, names);
  setUsers(room, names);
}

function setUsers(room, names) {
  const previous = room.users;
  room.users = names;
  if (room.usersKnown && !room.settling && room.memberCount === null) {
    announceChanges(room, previous, names);
  }
  room.usersKnown = true;
  if (room === currentRoom()) renderPeople();
  changed("rooms");
  if (!state.directory.some((entry) => entry.name === room.name)) changed("membership");
  else changed("directory");
}

export function onPresence(frame) {
  const room = state.rooms.get(frame.Room);
  if (!room || !room.usersKnown) return;
  const names = (list) => (Array.isArray(list) ? list.filter((n) => typeof n === "string") : []);
  const left = new Set(names(frame.Left));
  const joined = names(frame.Joined);
  const users = room.users.filter((name) => !left.has(name));
  const known = new Set(users);
  for (const name of joined) if (!known.has(name)) users.push(name);
  countChanged(room, joined.length, left.size);
  setUsers(room, users);
}

/** Joined again after a drop: hold the notices until the people have had time to come back. */
export function settleLater(room) {
  if (!room.usersBeforeDrop) return;
  room.settling = true;
  clearTimeout(room.settleTimer);
  room.settleTimer = setTimeout(() => settle(room), SETTLE_MS);
}

/** After a reconnect the lists fill up again as people come back: report only the net change. */
function settle(room) {
  if (!state.rooms.has(room.name) || !room.usersBeforeDrop) return;
  room.settling = false;
  if (room.status === "joined" && room.memberCount === null) {
    announceChanges(room, room.usersBeforeDrop, room.users);
  }
  room.usersBeforeDrop = null;
}

function announceChanges(room, before, after) {
  const was = new Set(before);
  const now = new Set(after);
  const gone = before.filter((name) => !now.has(name));
  const came = after.filter((name) => !was.has(name));
  if (gone.length === 1 && came.length === 1) {
    addNotice(room, [{ name: gone[0] }, " is now known as ", { name: came[0] }], "rename");
    return;
  }
  for (const name of came) addNotice(room, [{ name }, " joined"], "join");
  for (const name of gone) addNotice(room, [{ name }, " left"], "leave");
}

function renderPerson(name) {
  const li = document.createElement("li");
  li.className = "person";
  li.dataset.name = name;
  li.style.setProperty("--hue", String(hueFor(name)));
  const label = document.createElement("bdi");
  label.className = "person-name";
  label.textContent = name;
  if (isMe(name)) {
    li.classList.add("me");
    const you = document.createElement("span");
    you.className = "you";
    you.textContent = "(you)";
    li.append(avatar(name), label, " ", you);
    return li;
  }
  // Guests have no account to write to or block (a moderator may still kick them).
  if (!state.user || GUEST_NICK.test(name)) {
    li.append(avatar(name), label);
  } else {
    const open = document.createElement("button");
    open.type = "button";
    open.className = "person-open";
    open.title = `Send ${name} a direct message`;
    open.append(avatar(name), label);
    li.append(open);
  }
  if (!hasMenu(name)) return li;
  if (isBlocked(name)) {
    li.classList.add("blocked");
    const tag = document.createElement("span");
    tag.className = "blocked-tag";
    tag.textContent = "blocked";
    li.append(tag);
  }
  const more = document.createElement("button");
  more.type = "button";
  more.className = "icon-button small person-more";
  more.setAttribute("aria-label", `More for ${name}`);
  more.setAttribute("aria-haspopup", "menu");
  more.setAttribute("aria-expanded", "false");
  more.textContent = "⋯";
  li.append(more);
  return li;
}

function renderPeople() {
  const room = currentRoom();
  const names = room ? [...room.users] : [];
  names.sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
  ui.people.replaceChildren(...names.map(renderPerson));
  const count = room?.usersKnown ? room.userCount.toLocaleString() : "";
  ui.peopleCount.textContent = count && `(${count})`;
  ui.peopleBadge.textContent = count;
  renderMore(room?.usersKnown ? room : null);
}

watch("people", renderPeople);
