// What the page remembers between loads: per tab (sessionStorage) the session token, the open
// rooms and the nickname; shared by every tab (localStorage) the preferred nickname.
//
// Storage can be full or disabled (private windows, strict settings): the client then works
// without it, so every access is guarded.

export const KEY_SESSION = "roomcast.session";
export const KEY_ROOMS = "roomcast.rooms";
export const KEY_NICK = "roomcast.nick";

export function load(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

export function save(storage, key, value) {
  try {
    if (value == null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // Storage can be full or disabled; the client works without it.
  }
}
