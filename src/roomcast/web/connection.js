// One WebSocket to the server, kept alive: reconnects with exponential backoff and jitter (after
// a restart's 1012 close, first waits the close reason's retry hint), notices dead links with
// application-level pings, and reports its state.
//
// It knows nothing of rooms: link.js gives it `urlFor()` (asked before every attempt, so each
// reconnect carries the latest session token and resume points); link.js and app.js listen for:
//   "state"  {state: "connecting" | "open" | "waiting" | "offline", retryAt?, attempt}
//   "frame"  a parsed server frame
//   "closed" {code, reason, wasOpen, retry, delay}  (before the next attempt is scheduled; a
//            listener may set `delay`, or `retry` to false)

export const CLOSE_SESSION_REPLACED = 4001;
export const CLOSE_POLICY_VIOLATION = 1008;

/**
 * Delay before reconnect attempt number `attempt` (0-based): exponential, capped, with "equal
 * jitter" (half fixed, half random) so a restarted server is not hit by every client at once.
 */
export function backoffDelay(attempt, { base = 500, cap = 30_000, random = Math.random } = {}) {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export const CLOSE_SERVICE_RESTART = 1012;
const MAX_RETRY_AFTER = 60_000;

/**
 * Delay before the first reconnect after a restart's 1012 close, from its reason
 * `{"retry_after_ms":N}` (N already spread per connection by the server; capped at a minute,
 * plus a random tenth), or null when the close is no restart or carries no valid hint.
 */
export function restartDelay(code, reason, random = Math.random) {
  if (code !== CLOSE_SERVICE_RESTART) return null;
  let hint = null;
  try {
    hint = JSON.parse(reason)?.retry_after_ms;
  } catch {
    return null;
  }
  if (!Number.isInteger(hint) || hint < 0) return null;
  const wait = Math.min(hint, MAX_RETRY_AFTER);
  return Math.round(wait + random() * 0.1 * Math.max(wait, 100));
}

export class Connection extends EventTarget {
  /**
   * @param {() => string} urlFor  the URL of the next attempt
   * @param {object} options  pingInterval / pongTimeout / stableAfter in ms
   */
  constructor(urlFor, { pingInterval = 25_000, pongTimeout = 10_000, stableAfter = 5_000 } = {}) {
    super();
    this.urlFor = urlFor;
    this.pingInterval = pingInterval;
    this.pongTimeout = pongTimeout;
    this.stableAfter = stableAfter;
    this.ws = null;
    this.state = "idle";
    this.attempt = 0;
    this.retryAt = 0;
    this.timers = { retry: 0, ping: 0, pong: 0, stable: 0 };
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => {
      if (this.state === "waiting") this.setState("offline");
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.state === "waiting") this.reconnectNow();
    });
  }

  start() {
    this.open();
  }

  /** Send a frame object; false when there is no open socket (the caller keeps it for later). */
  send(frame) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  get isOpen() {
    return this.state === "open";
  }

  /** Skip the wait and try now (the "Reconnect now" button, the browser going online). */
  reconnectNow() {
    if (this.state === "waiting" || this.state === "offline") {
      clearTimeout(this.timers.retry);
      this.open();
    }
  }

  /** Drop the current socket (it looks dead) and go through the normal reconnect path. */
  drop(code = 4000, reason = "client reconnecting") {
    const ws = this.ws;
    if (!ws) return;
    this.detach(ws);
    try {
      ws.close(code, reason);
    } catch {
      // The socket may already be closing; it is detached either way.
    }
    this.closed(code, reason, true);
  }

  open() {
    this.setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.urlFor());
    } catch (error) {
      this.closed(1006, String(error), false);
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.setState("open");
      this.schedulePing();
      this.timers.stable = setTimeout(() => {
        this.attempt = 0;
      }, this.stableAfter);
    };
    ws.onmessage = (event) => {
      this.schedulePing();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame === "object") {
        this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
      }
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.detach(ws);
      this.closed(event.code, event.reason, opened);
    };
    ws.onerror = () => {
      // A close event always follows; nothing to do here.
    };
  }

  detach(ws) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (this.ws === ws) this.ws = null;
    for (const name of ["ping", "pong", "stable"]) clearTimeout(this.timers[name]);
  }

  closed(code, reason, wasOpen) {
    const detail = { code, reason, wasOpen, retry: true, delay: null };
    this.dispatchEvent(new CustomEvent("closed", { detail }));
    if (!detail.retry) {
      this.setState("stopped");
      return;
    }
    const delay = detail.delay ?? restartDelay(code, reason) ?? backoffDelay(this.attempt);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState(navigator.onLine === false ? "offline" : "waiting");
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(() => this.open(), delay);
  }

  /** After `pingInterval` of silence send a Ping; no frame within `pongTimeout` means dead. */
  schedulePing() {
    clearTimeout(this.timers.ping);
    clearTimeout(this.timers.pong);
    this.timers.ping = setTimeout(() => {
      if (!this.send({ Type: "Ping" })) return;
      this.timers.pong = setTimeout(() => this.drop(4000, "no answer to ping"), this.pongTimeout);
    }, this.pingInterval);
  }

  setState(state) {
    this.state = state;
    this.dispatchEvent(
      new CustomEvent("state", {
        detail: { state, retryAt: this.retryAt, attempt: this.attempt },
      }),
    );
  }
}
