// The state every module of the client shares, and how they tell each other that it changed.
//
// `state` is one plain object: the rooms this page is in (one `Room` each, see room.js), the
// requests and chat lines on their way, the room directory and the facts of the current
// connection. A module that changes something other modules show calls `changed(topic)`; the
// modules that show it register with `watch(topic, render)`. Watchers run at once, in the order
// they were registered, so the page is up to date when `changed` returns.
//
// Topics:
//   "rooms"      the rooms this page is in, their unread and mention counts, their names (a
//                direct conversation's people), which one is on screen, or the title's count
//   "current"    another room is on screen
//   "people"     the people of the room on screen, or this user's nickname
//   "directory"  the list of all rooms, or which of them this page is in
//   "membership" rooms were joined or left, or their people changed: the directory is stale
//   "room"       a room's settings (a Room frame: topic, roles) changed

import { KEY_NICK, KEY_SESSION, load } from "./storage.js";

export const state = {
  session: load(sessionStorage, KEY_SESSION),
  nick: null,
  user: null, // the account this page is signed in as (the Status frame's User), or null
  blocks: [], // the accounts this user blocks
  unseen: 0, // mentions and direct lines that came while the page was hidden
  wantedNick: load(sessionStorage, KEY_NICK) || load(localStorage, KEY_NICK),
  rooms: new Map(), // name -> Room
  current: null,
  requests: new Map(), // Ref -> {kind, room?, name?, fromForm?}
  pending: new Map(), // Ref -> pending line
  ackedIds: new Map(), // "room\nid" -> pending line acknowledged before its Chat arrived
  directory: [],
  // per connection
  link: { firstRoom: null, askedNick: false, status: false },
};

const watchers = new Map(); // topic -> [render]

/** Call `render` every time `topic` changes. */
export function watch(topic, render) {
  if (!watchers.has(topic)) watchers.set(topic, []);
  watchers.get(topic).push(render);
}

/** Tell the watchers of `topic` that it changed. */
export function changed(topic) {
  for (const render of watchers.get(topic) ?? []) render();
}

export const currentRoom = () => state.rooms.get(state.current) ?? null;

const nameKey = (name) => String(name).normalize("NFKC").toLowerCase();

/** Are `a` and `b` the same name, whatever the letter case? */
export const sameName = (a, b) => nameKey(a) === nameKey(b);

/** Is `name` this user (its nickname or its account name)? */
export const isMe = (name) => [state.nick, state.user].some((mine) => mine && sameName(mine, name));

/** Is `name` one of the accounts this user blocks? */
export const isBlocked = (name) => state.blocks.some((blocked) => sameName(blocked, name));

const pageId = Math.random().toString(36).slice(2, 10);
let refCounter = 0;

/** A Ref no other request of this page has used: `kind.page.counter`. */
export const nextRef = (kind) => `${kind}.${pageId}.${(refCounter += 1)}`;
