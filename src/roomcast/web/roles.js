// Who may do what in a room, as the client can tell from the Room frame (this user's Role, the
// room's owner and moderators): what the page offers follows these rules, and the server
// enforces them again. Nobody acts on someone whose role is as high as their own (an admin may).

import { isMe, sameName } from "./store.js";

const RANK = { none: 0, member: 1, moderator: 2, owner: 3, admin: 4 };

const rank = (role) => RANK[role] ?? 0;

/** May this user moderate `room` (topic, invitations, kicks, bans, mutes)? */
export const mayModerate = (room) => rank(room?.role) >= RANK.moderator;

/** May this user make or unmake the moderators of `room`? */
export const mayAppoint = (room) => rank(room?.role) >= RANK.owner;

/** The role of the account or nickname `name` in `room`, as far as its Room frame says. */
export function roleOf(room, name) {
  if (room.owner && sameName(room.owner, name)) return "owner";
  if (room.moderators.some((each) => sameName(each, name))) return "moderator";
  return "member";
}

/** May this user kick, ban or mute `name` in `room`? */
export function maySanction(room, name) {
  if (!mayModerate(room) || isMe(name)) return false;
  return room.role === "admin" || rank(roleOf(room, name)) < rank(room.role);
}
