// The watch socket (/ws/watch/<slug>/): reconnects with a growing delay, hands each
// server message to onMessage, and queues nothing (a viewer retypes if offline).
export class WatchSocket {
  constructor(path, { onMessage, onOpen, onClose }) {
    this.path = path;
    this.onMessage = onMessage;
    this.onOpen = onOpen || (() => {});
    this.onClose = onClose || (() => {});
    this.delayMs = 1000;
    this.stopped = false;
    this.open();
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${this.path}`);
    this.ws = ws;
    ws.addEventListener("open", () => { this.delayMs = 1000; this.onOpen(); });
    ws.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      this.onMessage(message);
    });
    ws.addEventListener("close", (event) => {
      this.onClose(event);
      // 4403/4404: refused for good (not a host, no broadcast) - do not hammer the server.
      if (this.stopped || event.code === 4403 || event.code === 4404) return;
      setTimeout(() => this.open(), this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, 30000);
    });
  }

  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  get connected() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }
}
