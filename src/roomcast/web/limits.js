// The length limits the server enforces (wire/limits.py), where the user types: a counter shows
// from near a limit on, and a text over it is refused with a message saying so, never cut. (An
// input's `maxlength` would cut a paste without a word; the boxes have none.)
//
// Lengths count characters as the server does: code points, as sent.

export const MAX_TEXT_CHARS = 4000;
export const MAX_ROOM_CHARS = 64;
export const MAX_NICK_CHARS = 32;
export const MAX_TOPIC_CHARS = 200;
export const MAX_REASON_CHARS = 200;

/** The counter shows from this share of the limit on. */
const NEAR = 0.9;
const number = new Intl.NumberFormat();
const renders = new WeakMap(); // input -> render its counter

export const charCount = (text) => [...text].length;

/** "" when `text` fits in `max` characters, else what to tell the user about `what`. */
export function overLimit(text, max, what) {
  const count = charCount(text);
  if (count <= max) return "";
  const over = number.format(count - max);
  return `${what} has at most ${number.format(max)} characters: this one has ${over} too many.`;
}

/** Count the characters of `input` against `max`: "3,650 / 4,000" next to it, near the limit. */
export function countChars(input, max) {
  input.removeAttribute("maxlength");
  const counter = document.createElement("span");
  counter.className = "char-count";
  counter.id = `${input.id || input.name}-count`;
  counter.setAttribute("aria-live", "polite");
  counter.hidden = true;
  const render = () => {
    const count = charCount(input.value);
    counter.hidden = count < max * NEAR;
    counter.classList.toggle("over", count > max);
    counter.textContent = `${number.format(count)} / ${number.format(max)}`;
    input.setAttribute("aria-invalid", String(count > max));
  };
  renders.set(input, render);
  input.addEventListener("input", render);
  input.after(counter);
  render();
  return counter;
}

/** The value of `input` was set by a script (sent, cleared): bring its counter up to date. */
export function recount(input) {
  renders.get(input)?.();
}
