// The list of all rooms (GET /api/rooms) in the rooms panel: fetched now and then, with live
// member counts for the rooms this page is in; a click joins the room.
//
// It starts folded (its heading opens it) so that the panels under it stay in view; open, it
// lists the busiest rooms first (people in them now, then the most messages), and the rooms
// nobody is in only when "Show empty rooms" is ticked.

import { $, hashName, replaceItems } from "./dom.js";
import { openRoom } from "./rooms.js";
import { state, watch } from "./store.js";

const DIRECTORY_POLL_MS = 20_000;
const MAX_SHOWN = 60;

const ui = {
  allRooms: $("all-rooms"),
  refresh: $("refresh-rooms"),
  toggle: $("all-rooms-toggle"),
  count: $("all-rooms-count"),
  body: $("all-rooms-body"),
  showEmpty: $("show-empty"),
};
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

function directoryItem(entry) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "room-button";
  button.dataset.room = entry.name;
  if (state.rooms.has(entry.name)) button.classList.add("joined");
  if (entry.name === state.current) button.setAttribute("aria-current", "page");
  button.append(hashName(entry.name));
  const members = document.createElement("span");
  members.className = "members";
  members.textContent = String(entry.members);
  const label = document.createElement("span");
  label.className = "visually-hidden";
  label.textContent = entry.members === 1 ? " person online" : " people online";
  members.append(label);
  button.append(members);
  button.addEventListener("click", () => openRoom(entry.name));
  li.append(button);
  return li;
}

function note(text) {
  const li = document.createElement("li");
  li.className = "more-rooms";
  li.textContent = text;
  return li;
}

function renderDirectory() {
  // Rooms this page is in have a live count; the others are as fresh as the last fetch.
  const live = (entry) => {
    const room = state.rooms.get(entry.name);
    const members = room?.usersKnown ? room.userCount : Number(entry.members) || 0;
    return { ...entry, members, lastId: Number(entry.last_id) || 0 };
  };
  const rooms = state.directory
    .map(live)
    .sort((a, b) => b.members - a.members || b.lastId - a.lastId || a.name.localeCompare(b.name));
  const busy = rooms.filter((entry) => entry.members > 0);
  const listed = ui.showEmpty.checked ? rooms : busy;
  ui.count.textContent = `(${busy.length})`;
  const items = listed.slice(0, MAX_SHOWN).map(directoryItem);
  if (listed.length > MAX_SHOWN) {
    items.push(note(`and ${listed.length - MAX_SHOWN} more: join them by name`));
  }
  const empty = rooms.length - busy.length;
  if (!ui.showEmpty.checked && empty > 0) {
    items.push(note(`${empty} empty ${empty === 1 ? "room" : "rooms"} hidden`));
  }
  if (rooms.length === 0) items.push(note("No rooms yet."));
  replaceItems(ui.allRooms, items);
}

watch("directory", renderDirectory);
watch("membership", scheduleDirectoryRefresh);
ui.refresh.addEventListener("click", () => refreshDirectory());
ui.showEmpty.addEventListener("change", renderDirectory);
ui.toggle.addEventListener("click", () => {
  const open = ui.toggle.getAttribute("aria-expanded") !== "true";
  ui.toggle.setAttribute("aria-expanded", String(open));
  ui.body.hidden = !open;
});
