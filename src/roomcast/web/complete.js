// Completing names in a message box: Tab after "@al" puts in the name of someone in the room
// that starts with "al" (Tab again: the next one, in alphabetical order). Without an "@word"
// before the caret, or when no one's name fits, Tab moves the focus as usual.

import { isMe } from "./store.js";

/** The names of `people` that start with `prefix` (letter case aside), this user left out. */
export function namesFor(prefix, people) {
  const start = prefix.toLocaleLowerCase();
  return people
    .filter((name) => !isMe(name) && name.toLocaleLowerCase().startsWith(start))
    .sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
}

/** Let Tab complete @names in `input` from `people()` (the names of the room it writes to). */
export function completeNames(input, people) {
  // The completion Tab is cycling through: where the name starts and ends, the names.
  let cycle = null;
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) {
      if (event.key !== "Shift") cycle = null;
      return;
    }
    const caret = input.selectionStart;
    if (caret !== input.selectionEnd) return;
    if (!cycle || caret !== cycle.end) {
      const word = /(?:^|\s)@([^\s@]*)$/u.exec(input.value.slice(0, caret));
      const names = word ? namesFor(word[1], people()) : [];
      if (names.length === 0) {
        cycle = null;
        return;
      }
      cycle = { start: caret - word[1].length, end: caret, names, index: -1 };
    }
    event.preventDefault();
    cycle.index = (cycle.index + 1) % cycle.names.length;
    input.setRangeText(`${cycle.names[cycle.index]} `, cycle.start, cycle.end, "end");
    cycle.end = input.selectionStart;
    input.dispatchEvent(new Event("input"));
  });
}
