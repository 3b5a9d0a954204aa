// The list of all rooms (GET /api/rooms) in the rooms panel: fetched now and then, with live
// member counts for the rooms this page is in; a click joins the room.

import { $, hashName } from "./dom.js";
import { openRoom } from "./rooms.js";
import { state, watch } from "./store.js";

const DIRECTORY_POLL_MS = 20_000;
const MAX_SHOWN = 60;

const ui = { allRooms: $("all-rooms"), refresh: $("refresh-rooms") };
let directoryTimer = 0;

export async function refreshDirectory() {
  clearTimeout(directoryTimer);
  directoryTimer = setTimeout(refreshDirectory, DIRECTORY_POLL_MS);
  if (document.hidden) return;
  try {
    const response = await fetch("/api/rooms", { cache: "no-store" });
    if (!response.ok) return;
    const data = await response.json();
    state.directory = Array.isArray(data.rooms) ? data.rooms : [];
    renderDirectory();
  } catch {
    // Offline: keep the last list; the connection indicator says what is wrong.
  }
}

function scheduleDirectoryRefresh() {
  clearTimeout(directoryTimer);
  directoryTimer = setTimeout(refreshDirectory, 400);
}

function renderDirectory() {
  // Rooms this page is in have a live count; the others are as fresh as the last fetch.
  const live = (entry) => {
    const room = state.rooms.get(entry.name);
    return room?.usersKnown ? { ...entry, members: room.users.length } : entry;
  };
  const rooms = state.directory.map(live).sort(
    (a, b) => b.members - a.members || a.name.localeCompare(b.name),
  );
  const shown = rooms.slice(0, MAX_SHOWN);
  const items = shown.map((entry) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "room-button";
    const joined = state.rooms.has(entry.name);
    if (joined) button.classList.add("joined");
    if (entry.name === state.current) button.setAttribute("aria-current", "page");
    button.append(hashName(entry.name));
    const members = document.createElement("span");
    members.className = "members";
    members.textContent = String(entry.members ?? 0);
    const label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = entry.members === 1 ? " person online" : " people online";
    members.append(label);
    button.append(members);
    button.addEventListener("click", () => openRoom(entry.name));
    li.append(button);
    return li;
  });
  if (rooms.length > shown.length) {
    const more = document.createElement("li");
    more.className = "more-rooms";
    more.textContent = `and ${rooms.length - shown.length} more: join them by name`;
    items.push(more);
  }
  if (items.length === 0) {
    const empty = document.createElement("li");
    empty.className = "more-rooms";
    empty.textContent = "No rooms yet.";
    items.push(empty);
  }
  ui.allRooms.replaceChildren(...items);
}

watch("directory", renderDirectory);
watch("membership", scheduleDirectoryRefresh);
ui.refresh.addEventListener("click", () => refreshDirectory());
