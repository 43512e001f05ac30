/**
 * The live room's WebSocket (docs/protocol.md): asks the page for a fresh join
 * token, says hello, unpacks batch frames, keeps the connection alive and comes
 * back after a network drop with the same participant id, so the room's chat and
 * state are kept.
 *
 * Events: "message" (detail: one server message), "open", "reconnecting"
 * (detail: {attempt, delayMs}), "closed" (detail: {code, error}: the server
 * refused or ended the session; no retry).
 */

export const PROTOCOL_VERSION = 1;

export const CLOSE = Object.freeze({
  PROTOCOL: 4400,
  TOKEN: 4401,
  REFUSED: 4403,
  NO_ROOM: 4404,
  TIMEOUT: 4408,
  REPLACED: 4409,
  ENDED: 4410,
  TOO_FAST: 4429,
});

// Codes after which coming back would be refused again.
const FINAL_CODES = new Set([
  CLOSE.PROTOCOL,
  CLOSE.REFUSED,
  CLOSE.NO_ROOM,
  CLOSE.REPLACED,
  CLOSE.ENDED,
  CLOSE.TOO_FAST,
]);

const PING_EVERY_MS = 20000;
const PONG_TIMEOUT_MS = 10000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15000;
const MAX_TOKEN_RETRIES = 3;

export class RoomConnection extends EventTarget {
  constructor({ tokenUrl, wsPath, slug }) {
    super();
    this.tokenUrl = tokenUrl;
    this.wsPath = wsPath;
    this.storageKey = `meet.live.peer.${slug}`;
    this.peer = sessionStorage.getItem(this.storageKey) || "";
    this.ws = null;
    this.stopped = true;
    this.attempt = 0;
    this.tokenFailures = 0;
    this.lastError = null;
    this.pingTimer = 0;
    this.pongTimer = 0;
    this.retryTimer = 0;
    this.joined = false;
    window.addEventListener("online", () => {
      if (!this.stopped && !this.ws) this.#retryNow();
    });
    // The network went away: do not wait for the ping to notice.
    window.addEventListener("offline", () => {
      if (!this.stopped) this.#dropped();
    });
  }

  /** Start (or restart) the session. */
  connect() {
    this.stopped = false;
    this.#open();
  }

  /** Leave for good: close and never come back. */
  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.#stopPing();
    sessionStorage.removeItem(this.storageKey);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  /** Send one message; false when not connected. */
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  get connected() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN && this.joined);
  }

  async #open() {
    let token;
    try {
      const response = await fetch(this.tokenUrl, { credentials: "same-origin", cache: "no-store" });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        this.#finish(CLOSE.REFUSED, { code: body.code || "refused", message: body.error || "" });
        return;
      }
      token = body.token;
    } catch {
      this.#scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${window.location.host}${this.wsPath}`);
    this.ws = ws;
    this.joined = false;
    ws.addEventListener("open", () => {
      const hello = { type: "hello", v: PROTOCOL_VERSION, token };
      if (this.peer) hello.resume = this.peer;
      ws.send(JSON.stringify(hello));
      this.#startPing();
      this.dispatchEvent(new CustomEvent("open"));
    });
    ws.addEventListener("message", (event) => this.#receive(event.data));
    ws.addEventListener("close", (event) => this.#closed(ws, event.code));
  }

  #receive(text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      return;
    }
    const messages = data.type === "batch" && Array.isArray(data.messages) ? data.messages : [data];
    for (const message of messages) {
      if (message.type === "welcome") {
        this.joined = true;
        this.attempt = 0;
        this.tokenFailures = 0;
        this.#rememberPeer(message.you.peer);
      } else if (message.type === "lobby.waiting") {
        this.attempt = 0;
        this.#rememberPeer(message.peer);
      } else if (message.type === "pong") {
        clearTimeout(this.pongTimer);
      } else if (message.type === "error") {
        this.lastError = message;
      }
      this.dispatchEvent(new CustomEvent("message", { detail: message }));
    }
  }

  #rememberPeer(peer) {
    this.peer = peer;
    sessionStorage.setItem(this.storageKey, peer);
  }

  #closed(ws, code) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.joined = false;
    this.#stopPing();
    if (this.stopped) return;
    if (FINAL_CODES.has(code)) {
      this.#finish(code, this.lastError);
      return;
    }
    if (code === CLOSE.TOKEN) {
      this.tokenFailures += 1;
      if (this.tokenFailures > MAX_TOKEN_RETRIES) {
        this.#finish(code, this.lastError);
        return;
      }
    }
    this.#scheduleRetry();
  }

  #finish(code, error) {
    this.stopped = true;
    sessionStorage.removeItem(this.storageKey);
    this.dispatchEvent(new CustomEvent("closed", { detail: { code, error } }));
  }

  #scheduleRetry() {
    if (this.stopped) return;
    const delayMs = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.dispatchEvent(new CustomEvent("reconnecting", { detail: { attempt: this.attempt, delayMs } }));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.#open(), delayMs);
  }

  #retryNow() {
    clearTimeout(this.retryTimer);
    this.#open();
  }

  #startPing() {
    this.#stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: "ping" })) return;
      clearTimeout(this.pongTimer);
      // No answer: the network dropped without closing the socket. Start over.
      this.pongTimer = setTimeout(() => this.#dropped(), PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  #dropped() {
    const dead = this.ws;
    if (!dead) return;
    this.#closed(dead, 4000);
    dead.close();
  }

  #stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
