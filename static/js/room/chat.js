/** The chat panel: history on join, new messages as they come, safe links. */

import { clock, h, linkify, role } from "./dom.js";

export class ChatPanel {
  constructor(root, { state, send, t, lang, isVisible, onUnread, jury = false }) {
    this.root = root;
    // A juror watching a lesson writes to the other jurors only (observer.js).
    this.jury = jury;
    this.state = state;
    this.send = send;
    this.t = t;
    this.lang = lang;
    this.isVisible = isVisible;
    this.onUnread = onUnread;
    this.log = role(root, "chat-log");
    this.form = role(root, "chat-form");
    this.text = role(root, "chat-text");
    this.shown = new Set();
    this.pending = new Map();
    this.sequence = 0;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.#submit();
      }
    });
    state.addEventListener("change", (event) => {
      const { type, message } = event.detail;
      if (type === "welcome") this.renderAll();
      else if (type === "chat.message") this.add(message, true);
    });
  }

  #submit() {
    const text = this.text.value.trim();
    if (!text) return;
    this.sequence += 1;
    const ref = `c${Date.now().toString(36)}${this.sequence}`;
    if (this.send({ type: "chat.send", text, ref, ...(this.jury ? { jury: true } : {}) })) {
      this.text.value = "";
      this.pending.set(ref, text);
    }
  }

  renderAll() {
    for (const message of this.state.chatInOrder()) this.add(message, false);
  }

  add(message, fresh) {
    if (this.shown.has(message.id)) return;
    this.shown.add(message.id);
    const mine = this.state.you && message.peer === this.state.you.peer;
    if (message.ref) this.pending.delete(message.ref);
    const classes = ["live-chat-item", mine ? "live-chat-mine" : "", message.jury ? "live-chat-jury" : ""];
    const item = h(
      "li",
      { class: classes.filter(Boolean).join(" "), dataset: { id: message.id } },
      h(
        "p",
        { class: "live-chat-meta" },
        h("span", { class: "live-chat-name" }, mine ? this.t("you-said") : message.name),
        " ",
        message.jury ? h("span", { class: "badge badge-info" }, this.t("jury-only")) : "",
        message.jury ? " " : "",
        h("time", { datetime: message.at, class: "muted" }, clock(message.at, this.lang)),
      ),
      h("p", { class: "live-chat-text" }, linkify(message.text)),
    );
    // Keep order by id even when history and live messages interleave.
    const after = [...this.log.children].find((li) => Number(li.dataset.id) > message.id);
    const nearBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
    this.log.insertBefore(item, after || null);
    if (nearBottom || mine) this.log.scrollTop = this.log.scrollHeight;
    if (fresh && !mine && !this.isVisible()) this.onUnread();
  }
}
