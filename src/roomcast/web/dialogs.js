// The dialogs of room administration (room_admin.js, sanctions.js), built by script so that
// index.html stays the page's skeleton: a <dialog> with a title, a form, a status line for the
// server's refusals and a row of buttons. Esc and Cancel close it; the focus then goes back to
// what opened it (the browser does that for a modal dialog).

let made = 0;

/** A modal dialog: {dialog, form, body, status, buttons}; `submit(event)` runs on submit. */
export function makeDialog(title, submit) {
  made += 1;
  const dialog = document.createElement("dialog");
  dialog.className = "dialog admin-dialog";
  const heading = document.createElement("h2");
  heading.className = "dialog-title";
  heading.id = `admin-dialog-${made}`;
  heading.textContent = title;
  dialog.setAttribute("aria-labelledby", heading.id);
  const form = document.createElement("form");
  form.noValidate = true;
  const body = document.createElement("div");
  body.className = "dialog-body";
  const status = document.createElement("p");
  status.className = "field-error dialog-status";
  status.setAttribute("role", "alert");
  const buttons = document.createElement("div");
  buttons.className = "dialog-buttons";
  form.append(heading, body, status, buttons);
  dialog.append(form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    status.textContent = "";
    submit(event);
  });
  document.body.append(dialog);
  return { dialog, heading, form, body, status, buttons };
}

/** A button for a dialog's button row: "submit" or a plain "button" that closes the dialog. */
export function dialogButton(label, { submit = false, className = "secondary", dialog } = {}) {
  const button = document.createElement("button");
  button.type = submit ? "submit" : "button";
  button.className = `button ${className}`.trim();
  button.textContent = label;
  if (!submit && dialog) button.addEventListener("click", () => dialog.close());
  return button;
}

/** A labelled field: the label above `input` (which gets `id`). */
export function field(id, label, input) {
  const wrap = document.createElement("div");
  wrap.className = "dialog-field";
  const text = document.createElement("label");
  text.htmlFor = id;
  text.textContent = label;
  input.id = id;
  const row = document.createElement("div");
  row.className = "field-row";
  row.append(input);
  wrap.append(text, row);
  return wrap;
}

/** A text input with `name`, for a dialog. */
export function textInput(name, placeholder = "") {
  const input = document.createElement("input");
  input.type = "text";
  input.name = name;
  input.spellcheck = false;
  input.autocomplete = "off";
  input.placeholder = placeholder;
  return input;
}
