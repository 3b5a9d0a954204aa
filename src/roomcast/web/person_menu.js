// What a signed-in user can do with another person from the People panel: a click on the name
// opens the direct conversation with them; the "⋯" beside it opens a menu (write to them, block
// or unblock them; for the room's moderators kick, ban, mute: sanctions.js). The same menu opens
// from a message's actions for its author (actions.js). Also the list of accounts this user
// blocks: fetched after signing in (GET /api/me/blocks), then the Blocks frame that answers each
// Block and Unblock.
//
// The menu: ↑/↓ move between its items, Esc or a click elsewhere closes it, and the focus goes
// back to the button that opened it.

import { showAlert } from "./alerts.js";
import { startDirect } from "./direct.js";
import { $ } from "./dom.js";
import { GUEST_NICK } from "./format.js";
import { ready, request } from "./link.js";
import { moderationItems } from "./sanctions.js";
import { changed, currentRoom, isBlocked, state, watch } from "./store.js";

const ui = { people: $("people") };

const menu = document.createElement("div");
menu.className = "person-menu";
menu.id = "person-menu";
menu.setAttribute("role", "menu");
menu.hidden = true;
document.body.append(menu);

/** The "⋯" button the menu is open for, and the person's name. */
let opener = null;
let openFor = null;

function item(label, run) {
  const button = document.createElement("button");
  button.type = "button";
  button.setAttribute("role", "menuitem");
  button.textContent = label;
  button.addEventListener("click", () => {
    closeMenu();
    run();
  });
  return button;
}

/** What this user may do with `name`: [label, run] (none for oneself). */
function menuItems(name) {
  const items = [];
  if (state.user && !GUEST_NICK.test(name)) {
    const blocked = isBlocked(name);
    items.push([`Message ${name}`, () => startDirect(name)]);
    items.push([blocked ? `Unblock ${name}` : `Block ${name}`, () => setBlocked(name, !blocked)]);
  }
  return [...items, ...moderationItems(currentRoom(), name)];
}

/** Does the menu have anything for `name`? */
export const hasMenu = (name) => menuItems(name).length > 0;

/** Open the menu for `name` under `button` (the "⋯" in People, a message's action). */
export function openMenu(button, name) {
  closeMenu();
  const items = menuItems(name);
  if (items.length === 0) return;
  opener = button;
  openFor = name;
  menu.setAttribute("aria-label", name);
  menu.replaceChildren(...items.map(([label, run]) => item(label, run)));
  menu.hidden = false;
  const box = button.getBoundingClientRect();
  const left = Math.min(box.right - menu.offsetWidth, window.innerWidth - menu.offsetWidth - 8);
  menu.style.setProperty("--menu-left", `${Math.max(8, left)}px`);
  menu.style.setProperty("--menu-top", `${box.bottom + 4}px`);
  button.setAttribute("aria-expanded", "true");
  menu.querySelector("button").focus();
}

function closeMenu({ refocus = false } = {}) {
  if (menu.hidden) return;
  menu.hidden = true;
  opener?.setAttribute("aria-expanded", "false");
  if (refocus && opener?.isConnected) opener.focus();
  opener = null;
  openFor = null;
}

function setBlocked(name, blocked) {
  if (!ready()) {
    showAlert("Not connected: try again once the connection is back.");
    return;
  }
  const type = blocked ? "Block" : "Unblock";
  request("block", { Type: type, Name: name }, { name });
}

/** The accounts this user blocks, after a Block or an Unblock. */
export function onBlocks(frame) {
  if (frame.Ref != null) state.requests.delete(frame.Ref);
  if (!Array.isArray(frame.Names)) return;
  state.blocks = frame.Names.filter((name) => typeof name === "string");
  changed("people");
}

/** Signed in (or out): whom this account blocks. */
export async function loadBlocks() {
  state.blocks = [];
  changed("people");
  if (!state.user) return;
  try {
    const response = await fetch("/api/me/blocks", { cache: "no-store" });
    if (!response.ok) return;
    const body = await response.json();
    if (Array.isArray(body.blocks)) {
      state.blocks = body.blocks.filter((name) => typeof name === "string");
      changed("people");
    }
  } catch {
    // Offline: the list comes with the next Block or Unblock, or the next sign-in.
  }
}

ui.people.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  const name = button?.closest("li.person")?.dataset.name;
  if (!name) return;
  if (button.classList.contains("person-more")) {
    if (opener === button) closeMenu();
    else openMenu(button, name);
  } else if (button.classList.contains("person-open")) {
    startDirect(name);
  }
});
menu.addEventListener("keydown", (event) => {
  const items = [...menu.querySelectorAll("button")];
  const at = items.indexOf(document.activeElement);
  if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    closeMenu({ refocus: true });
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    items[(at + step + items.length) % items.length].focus();
  } else if (event.key === "Tab") {
    closeMenu({ refocus: true });
  }
});
document.addEventListener("pointerdown", (event) => {
  if (menu.hidden || menu.contains(event.target) || opener?.contains(event.target)) return;
  closeMenu();
});
// The list was drawn again (someone came or went): the menu stays with its person, if here.
watch("people", () => {
  if (menu.hidden || opener?.isConnected) return;
  const li = [...ui.people.children].find((each) => each.dataset.name === openFor);
  const button = li?.querySelector(".person-more");
  if (!button) {
    closeMenu();
    return;
  }
  opener = button;
  button.setAttribute("aria-expanded", "true");
});
