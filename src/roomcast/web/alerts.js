// Problems shown above the message box: a few recent ones stay listed until dismissed or until
// a while has passed without a new one.

import { $ } from "./dom.js";

const ALERT_MS = 10_000;
const MAX_ALERTS = 3;

const ui = { alert: $("alert"), text: $("alert-text"), close: $("alert-close") };
let alertTimer = 0;

/** Show a problem above the message box; a few recent ones stay listed until dismissed. */
export function showAlert(message) {
  clearTimeout(alertTimer);
  if (ui.alert.hidden) ui.text.replaceChildren();
  const line = document.createElement("span");
  line.className = "alert-line";
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
