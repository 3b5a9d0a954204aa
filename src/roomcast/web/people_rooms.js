// The person's rooms: the Rooms frame (after Status for a signed-in user or a guest back with
// its session, and again when someone else adds a room to the person: a direct conversation)
// lists them with their read markers and counts, in the order the person first joined them. This
// page joins every one it is not in yet and lists them in that order, so a reload, a new tab
// and another device come back to the same rooms, badges included.
//
// A room is joined the way a first join always is, without Since: the server's newest page of
// lines in their current state. A replay from the read marker could be thousands of events for
// a room left alone for weeks; the "new since you were here" line goes where the marker is
// instead, and older pages bring it to its place (unread.js).

import { setMembers } from "./direct.js";
import { normaliseRoom } from "./format.js";
import { orderRooms, takeRoom } from "./rooms.js";
import { markRead } from "./scroll.js";
import { changed, currentRoom } from "./store.js";
import { takeCounts } from "./unread.js";

export function onRooms(frame) {
  if (!Array.isArray(frame.Rooms)) return;
  const names = [];
  for (const item of frame.Rooms) {
    const name = typeof item?.Room === "string" ? normaliseRoom(item.Room) : null;
    if (!name) continue;
    names.push(name);
    const room = takeRoom(name);
    // A direct conversation is named by its other people from the start.
    if (item.Direct === true && Array.isArray(item.Members)) setMembers(room, item.Members);
    else if (item.Direct === true) room.direct = true;
    // A room this page follows live keeps its own counts: they are as new as the frame's.
    if (room.status !== "joined") takeCounts(room, item);
  }
  orderRooms(names);
  changed("rooms");
  const room = currentRoom();
  if (room) markRead(room);
}
