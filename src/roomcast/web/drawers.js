// On phone-sized screens the rooms and people panels are drawers over the chat: one open at a
// time, a scrim behind it, the focus moved in and back out.

import { $ } from "./dom.js";

const ui = {
  app: $("app"),
  toggleRooms: $("toggle-rooms"),
  togglePeople: $("toggle-people"),
  roomsPanel: $("rooms-panel"),
  peoplePanel: $("people-panel"),
  scrim: $("scrim"),
};

function openDrawer(which) {
  ui.app.dataset.drawer = which;
  ui.scrim.hidden = false;
  ui.toggleRooms.setAttribute("aria-expanded", String(which === "rooms"));
  ui.togglePeople.setAttribute("aria-expanded", String(which === "people"));
  const panel = which === "rooms" ? ui.roomsPanel : ui.peoplePanel;
  panel.querySelector("button, input")?.focus();
}

export function closeDrawer() {
  const open = ui.app.dataset.drawer;
  if (!open || open === "none") return;
  ui.app.dataset.drawer = "none";
  ui.scrim.hidden = true;
  ui.toggleRooms.setAttribute("aria-expanded", "false");
  ui.togglePeople.setAttribute("aria-expanded", "false");
  const panel = open === "rooms" ? ui.roomsPanel : ui.peoplePanel;
  if (panel.contains(document.activeElement)) {
    (open === "rooms" ? ui.toggleRooms : ui.togglePeople).focus();
  }
}

export const drawerOpen = () => ui.app.dataset.drawer !== "none";

function toggleDrawer(which) {
  if (ui.app.dataset.drawer === which) closeDrawer();
  else openDrawer(which);
}

ui.toggleRooms.addEventListener("click", () => toggleDrawer("rooms"));
ui.togglePeople.addEventListener("click", () => toggleDrawer("people"));
ui.scrim.addEventListener("click", closeDrawer);
