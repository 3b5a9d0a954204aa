// This user's nickname: the one the server gave (Status and Nick frames), the one asked for
// (kept for the next connection and for new tabs), the nickname form and its errors.

import { showAlert } from "./alerts.js";
import { $ } from "./dom.js";
import { GUEST_NICK } from "./format.js";
import { countChars, MAX_NICK_CHARS, overLimit } from "./limits.js";
import { ready, request } from "./link.js";
import { KEY_NICK, save } from "./storage.js";
import { changed, state } from "./store.js";

const ui = { form: $("nick-form"), input: $("nick-input"), error: $("nick-error") };
/** The user has typed in the box since it took the focus: leave what it holds alone. */
let typedIn = false;

/**
 * The server's word on this user's nickname. A signed-in person has one nickname on every tab
 * (another tab may change it): it is also the one to ask for on the next connection.
 */
export function setNick(name) {
  if (typeof name !== "string" || !name) return;
  state.nick = name;
  if (state.user) state.wantedNick = name;
  if (document.activeElement !== ui.input || !typedIn) ui.input.value = name;
  if (!GUEST_NICK.test(name)) save(sessionStorage, KEY_NICK, name);
  changed("people");
}

function nickProblem(name) {
  if (!name) return "Type a nickname first.";
  return overLimit(name, MAX_NICK_CHARS, "A nickname");
}

/** Ask for nickname `raw`: "" when it was asked for (or will be), else what is wrong with it. */
export function requestNick(raw) {
  const name = raw.trim();
  const problem = nickProblem(name);
  ui.error.textContent = problem;
  if (problem || name === state.nick) return problem;
  if (!ready()) {
    state.wantedNick = name;
    showAlert(`You will be ${name} once the connection is back.`);
    return "";
  }
  request("nick", { Type: "Nick", Name: name }, { name });
  return "";
}

export function onNick(frame) {
  const req = frame.Ref ? state.requests.get(frame.Ref) : null;
  if (frame.Ref) state.requests.delete(frame.Ref);
  setNick(frame.Name);
  if (req) {
    ui.error.textContent = "";
    state.wantedNick = frame.Name;
    save(sessionStorage, KEY_NICK, frame.Name);
    save(localStorage, KEY_NICK, frame.Name);
  }
}

/** An Error about a nickname (an answer to a Nick request, or a nick_ code without Ref). */
export function nickRefused(frame, message, req) {
  const nickCode = typeof frame.Code === "string" && frame.Code.startsWith("nick_");
  if (!(req?.kind === "nick" || (frame.Ref == null && nickCode))) return false;
  if (frame.Ref == null && frame.Code === "nick_reserved" && !state.link.askedNick) {
    // The server tries to give a returning guest its old guest name back and refuses it;
    // the new guest name in Status stands, there is nothing for the user to do.
    return true;
  }
  ui.error.textContent = message;
  if (!req) state.wantedNick = state.nick;
  // The box shows the nickname this user has, not the one refused.
  if (state.nick) ui.input.value = state.nick;
  showAlert(message, { key: "nick" });
  return true;
}

/** Signed in: take the account's name. Signed out (null): a guest name comes back. */
export function takeAccountName(name) {
  state.wantedNick = name;
  save(localStorage, KEY_NICK, name);
  if (name) ui.input.value = name;
}

/** Show the nickname asked for before the server has answered. */
export function showWantedNick() {
  if (state.wantedNick) ui.input.value = state.wantedNick;
}

countChars(ui.input, MAX_NICK_CHARS);
ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  requestNick(ui.input.value);
});
ui.input.addEventListener("focus", () => {
  typedIn = false;
});
ui.input.addEventListener("input", () => {
  typedIn = true;
});
ui.input.addEventListener("blur", () => {
  if ((!typedIn || !ui.input.value.trim()) && state.nick) ui.input.value = state.nick;
});
