// What the message box understands: plain text, or a slash command.
//
// parseInput is pure, so the rules can be checked without a page: it returns
// {kind: "say" | "me" | "nick" | "join" | "leave" | "msg" | "help" | "error", ...}.

export const HELP = [
  ["/nick NAME", "change your nickname"],
  ["/join ROOM", "join or create a room and switch to it"],
  ["/leave [ROOM]", "leave this room (or ROOM)"],
  ["/me ACTION", "say what you are doing: /me waves"],
  ["/msg NAME [TEXT]", "write to NAME in a direct conversation (signed-in users)"],
  ["/help", "show this list"],
  ["//text", "send a line that starts with a slash"],
  ["Enter / Shift+Enter", "send / new line"],
  ["Alt+↑ / Alt+↓", "previous / next room"],
  ["@na + Tab", "complete the name of someone in the room"],
  ["↑ in an empty box", "edit your last message"],
  ["↑ / ↓ in the messages", "move between messages; Tab reaches a message's actions"],
  ["Esc", "cancel a reply or an edit, close the thread"],
];

/** Interpret one submitted line. Text is kept exactly as typed (no trimming) when sent. */
export function parseInput(raw) {
  if (!raw.startsWith("/")) {
    return raw.trim() ? { kind: "say", text: raw } : { kind: "empty" };
  }
  if (raw.startsWith("//")) return { kind: "say", text: raw.slice(1) };
  const match = /^\/(\S+)\s*([\s\S]*)$/.exec(raw);
  const name = match ? match[1].toLowerCase() : "";
  const rest = match ? match[2] : "";
  switch (name) {
    case "nick": {
      const nick = rest.trim();
      return nick ? { kind: "nick", name: nick } : usage("/nick NAME");
    }
    case "join": {
      const room = rest.trim().replace(/^#/, "");
      return room && !/\s/.test(room) ? { kind: "join", room } : usage("/join ROOM");
    }
    case "leave":
    case "part": {
      const room = rest.trim().replace(/^#/, "");
      return /\s/.test(room) ? usage("/leave [ROOM]") : { kind: "leave", room: room || null };
    }
    case "me":
      return rest.trim() ? { kind: "me", text: rest } : usage("/me ACTION");
    case "msg": {
      const to = /^@?(\S+)\s*([\s\S]*)$/.exec(rest);
      if (!to) return usage("/msg NAME [TEXT]");
      return { kind: "msg", name: to[1], text: to[2].trim() ? to[2] : "" };
    }
    case "help":
    case "?":
      return { kind: "help" };
    default:
      return {
        kind: "error",
        message: `Unknown command /${name}. Type /help for the list, or //text to send it as is.`,
      };
  }
}

function usage(form) {
  return { kind: "error", message: `Usage: ${form}` };
}

/** "/me waves" lines are stored as they are typed; this reads the action back out. */
export function actionText(text) {
  return text.startsWith("/me ") ? text.slice(4) : null;
}
