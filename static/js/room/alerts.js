/**
 * The room's notices (the page's role="alert" box). Several may show at once: a
 * notice that matters to the person ("the host muted your microphone") must not be
 * wiped a moment later by another one (a media retry failing again). The same text
 * twice refreshes the line instead of repeating it; each line goes after its own
 * time; the oldest goes first when there are too many.
 */

import { h } from "./dom.js";

const SHOWN_MS = 8000;
const MOST_LINES = 3;

export class AlertList {
  #box;
  #lines = new Map(); // text -> {element, timer}

  constructor(box) {
    this.#box = box;
  }

  show(text) {
    const known = this.#lines.get(text);
    if (known) {
      window.clearTimeout(known.timer);
      known.element.remove(); // moved last: it is the newest again
    }
    const element = known?.element ?? h("p", { class: "live-alert-line" }, text);
    const line = { element, timer: window.setTimeout(() => this.#drop(text), SHOWN_MS) };
    this.#lines.delete(text);
    this.#lines.set(text, line);
    this.#box.append(element);
    while (this.#lines.size > MOST_LINES) this.#drop(this.#lines.keys().next().value);
    this.#box.hidden = false;
  }

  #drop(text) {
    const line = this.#lines.get(text);
    if (!line) return;
    window.clearTimeout(line.timer);
    line.element.remove();
    this.#lines.delete(text);
    this.#box.hidden = this.#lines.size === 0;
  }
}
