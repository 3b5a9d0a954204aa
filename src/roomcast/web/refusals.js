// How this user is told that a room is closed to it: kicked or banned (with until when, in the
// user's local time), or refused at joining. A kick keeps one out for a minute: the server
// refuses the rejoin as a ban, so the kicks this page was told of are remembered and a refusal
// before their end is worded as the kick it is.

import { formatWhen } from "./format.js";

/** Room -> the end of the kick this page was told of (ms). */
const kicks = new Map();

const ISO_TIME = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g;

/** `text` with every ISO time in it (the server's) as the user's local time. */
export function localTimes(text) {
  return text.replace(ISO_TIME, (iso) => formatWhen(new Date(iso)));
}

/** What a Kicked frame tells this user; a kick is remembered until it ends. */
export function kickedText(frame) {
  const by = frame.By || "A moderator";
  const why = frame.Reason ? `: ${frame.Reason}` : "";
  const until = frame.Until ? new Date(frame.Until) : null;
  if (frame.Banned) {
    const end = until ? `until ${formatWhen(until)}` : "until a moderator lifts the ban";
    return `${by} banned you from #${frame.Room} ${end}${why}.`;
  }
  if (until) kicks.set(frame.Room, until.getTime());
  const back = until ? ` You can come back at ${formatWhen(until)}.` : "";
  return `${by} kicked you from #${frame.Room}${why}.${back}`;
}

/** Why `room` could not be joined or opened, from the server's Error (code and message). */
export function refusalText(room, code, message) {
  const kickEnd = kicks.get(room) ?? 0;
  if (code === "banned" && kickEnd > Date.now()) {
    return `You were kicked from #${room}: you can come back at ${formatWhen(new Date(kickEnd))}.`;
  }
  return `Could not open #${room}: ${localTimes(message)}`;
}
