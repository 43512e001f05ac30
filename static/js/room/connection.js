/**
 * The live room's WebSocket (docs/protocol.md): asks the page for a fresh join
 * token, says hello, unpacks batch frames, keeps the connection alive and comes
 * back after a network drop with the same participant id, so the room's chat and
 * state are kept.
 *
 * Events: "message" (detail: one server message), "open", "reconnecting"
 * (detail: {attempt, delayMs}; once when a drop begins), "closed" (detail: {code,
 * error}: the server refused or ended the session; no retry).
 *
 * A dropped link (issue 13: mobile data that vanishes for seconds) is tried again
 * every second or two for as long as the server keeps the seat (its reconnection
 * grace, 40 s by default), then less and less often. Each try is cheap and bounded:
 * the token fetch and the wait for the welcome time out, so a try lost in a dead
 * link never holds up the next; the browser's "online" event tries at once.
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
const CHECK_TIMEOUT_MS = 4000;  // a ping asked for by check(): media already saw trouble
// While the server holds the seat, a try every second or two (each one is small).
const FAST_RETRY_MS = [250, 1000, 1000, 1500, 2000];
const FAST_RETRY_FOR_MS = 60000;
const RETRY_MIN_MS = 1000;  // after a close the server chose
const RETRY_MAX_MS = 15000;
const DROPPED = 4000;  // our own close code for a socket the network lost
const TOKEN_TIMEOUT_MS = 4000;  // a token is one small request, even at 300 ms RTT
const WELCOME_TIMEOUT_MS = 10000;  // from opening the socket to the welcome
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
    this.attemptTimer = 0;
    this.droppedAt = 0;
    this.opening = null;  // the AbortController of the try under way
    this.joined = false;
    // The network is back: try now, dropping a try stuck in the dead link.
    window.addEventListener("online", () => {
      if (!this.stopped && !this.connected) this.#retryNow();
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

  /** Leave for good: close and never come back (1000: the server lets the seat go). */
  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.attemptTimer);
    if (this.opening) this.opening.abort();
    this.#stopPing();
    sessionStorage.removeItem(this.storageKey);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  /** The page goes away (closed, another address): close with 1000, so the server
   * lets the participant go at once instead of holding the seat for a reconnect. The
   * stored id stays: a reload comes back as the same participant. */
  goodbye() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.attemptTimer);
    this.#stopPing();
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

  /** Something else (the media connection) saw the network falter: ping now, briefly. */
  check() {
    if (!this.connected || !this.send({ type: "ping" })) return;
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => this.#dropped(), CHECK_TIMEOUT_MS);
  }

  async #open() {
    if (this.opening) this.opening.abort();
    const opening = new AbortController();
    this.opening = opening;
    const tokenTimer = setTimeout(() => opening.abort(), TOKEN_TIMEOUT_MS);
    let token;
    try {
      const response = await fetch(this.tokenUrl, {
        credentials: "same-origin",
        cache: "no-store",
        signal: opening.signal,
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        this.#finish(CLOSE.REFUSED, { code: body.code || "refused", message: body.error || "" });
        return;
      }
      token = body.token;
    } catch {
      // A try that timed out has waited already: the next one goes at once.
      if (this.opening === opening) this.#scheduleRetry({ waited: opening.signal.aborted });
      return;
    } finally {
      clearTimeout(tokenTimer);
    }
    if (this.stopped || this.opening !== opening) return;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${window.location.host}${this.wsPath}`);
    this.ws = ws;
    this.joined = false;
    // A socket that neither opens nor welcomes us in time is lost in a dead link.
    clearTimeout(this.attemptTimer);
    this.attemptTimer = setTimeout(() => {
      if (this.ws === ws && !this.joined) this.#dropped();
    }, WELCOME_TIMEOUT_MS);
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
        this.droppedAt = 0;
        this.tokenFailures = 0;
        clearTimeout(this.attemptTimer);
        this.#rememberPeer(message.you.peer);
      } else if (message.type === "lobby.waiting") {
        this.attempt = 0;
        this.droppedAt = 0;
        clearTimeout(this.attemptTimer);
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
    clearTimeout(this.attemptTimer);
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
    // The link dropped (1006, or our own verdict): come back quickly. A server that
    // closed on purpose (restarting, busy, 4408…) is given the old, gentler back-off.
    this.#scheduleRetry({ linkLost: code === 1006 || code === DROPPED });
  }

  #finish(code, error) {
    this.stopped = true;
    sessionStorage.removeItem(this.storageKey);
    this.dispatchEvent(new CustomEvent("closed", { detail: { code, error } }));
  }

  #scheduleRetry({ waited = false, linkLost = true } = {}) {
    if (this.stopped) return;
    const now = Date.now();
    if (!this.droppedAt) this.droppedAt = now;
    const downMs = now - this.droppedAt;
    let delayMs;
    if (!linkLost) delayMs = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.attempt);
    else if (waited && downMs < FAST_RETRY_FOR_MS) delayMs = 0;
    else delayMs = this.#retryDelay(downMs);
    this.attempt += 1;
    if (this.attempt === 1) {
      this.dispatchEvent(new CustomEvent("reconnecting", { detail: { attempt: this.attempt, delayMs } }));
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.#open(), delayMs);
  }

  #retryDelay(downMs) {
    // Jitter: pages that lost the same server do not all come back in the same instant.
    const jitter = 0.75 + Math.random() / 2;
    if (downMs < FAST_RETRY_FOR_MS) {
      return FAST_RETRY_MS[Math.min(this.attempt, FAST_RETRY_MS.length - 1)] * jitter;
    }
    // The seat is gone by now: back off.
    const slow = 2000 * 2 ** Math.min(4, Math.floor((downMs - FAST_RETRY_FOR_MS) / 15000));
    return Math.min(RETRY_MAX_MS, slow * jitter);
  }

  #retryNow() {
    clearTimeout(this.retryTimer);
    const stuck = this.ws;
    if (stuck && !this.joined) {
      // Opening into the dead link: give that try up (its close is ignored).
      this.ws = null;
      stuck.close();
    }
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
    this.#closed(dead, DROPPED);
    dead.close();
  }

  #stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
