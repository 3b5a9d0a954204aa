// Problems shown above the message box: a few recent ones stay listed until dismissed or until
// a while has passed without a new one. A problem that comes again (the same text, or the same
// `key`: the same room refused, nickname changes refused one after another) updates its line
// rather than stacking another.

import { $ } from "./dom.js";

const ALERT_MS = 10_000;
const MAX_ALERTS = 3;

const ui = { alert: $("alert"), text: $("alert-text"), close: $("alert-close") };
let alertTimer = 0;

/** Show a problem above the message box; `key` names what it is about (default: its text). */
export function showAlert(message, { key = message } = {}) {
  clearTimeout(alertTimer);
  if (ui.alert.hidden) ui.text.replaceChildren();
  let line = [...ui.text.children].find((each) => each.dataset.key === key);
  if (!line) {
    line = document.createElement("span");
    line.className = "alert-line";
    line.dataset.key = key;
  }
  line.textContent = message;
  ui.text.append(line);
  while (ui.text.childElementCount > MAX_ALERTS) ui.text.firstElementChild.remove();
  ui.alert.hidden = false;
  alertTimer = setTimeout(hideAlert, ALERT_MS);
}

export function hideAlert() {
  clearTimeout(alertTimer);
  ui.alert.hidden = true;
  ui.text.replaceChildren();
}

ui.close.addEventListener("click", hideAlert);
