/**
 * The slides everybody sees: the page image, its text for screen readers, and
 * (for the presenter) previous / next / stop, also with the arrow keys.
 */

import { role } from "./dom.js";

export class SlidesView {
  constructor(root, { state, send, t, announce }) {
    this.root = root;
    this.state = state;
    this.send = send;
    this.t = t;
    this.announce = announce;
    this.image = role(root, "slides-image");
    this.title = role(root, "slides-title");
    this.position = role(root, "slides-position");
    this.text = role(root, "slides-text");
    this.controls = role(root, "slides-controls");
    this.shownKey = "";
    root.tabIndex = -1;
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) return;
      if (button.dataset.action === "slide-prev") this.turn(-1);
      else if (button.dataset.action === "slide-next") this.turn(1);
      else if (button.dataset.action === "slide-stop") this.send({ type: "slides.stop" });
    });
    root.addEventListener("keydown", (event) => {
      if (!this.state.canPresent || event.target.closest("input, textarea, select")) return;
      if (event.key === "ArrowRight" || event.key === "PageDown") this.turn(1);
      else if (event.key === "ArrowLeft" || event.key === "PageUp") this.turn(-1);
      else return;
      event.preventDefault();
    });
    state.addEventListener("change", (event) => {
      const { type } = event.detail;
      if (type === "welcome" || type === "slides.changed" || type === "participant.updated") {
        this.render(type === "slides.changed");
      }
    });
  }

  turn(step) {
    const slides = this.state.slides;
    if (!slides) return;
    const page = slides.page + step;
    if (page >= 1 && page <= slides.pages) this.send({ type: "slides.show", deck: slides.deck, page });
  }

  render(changed) {
    const slides = this.state.slides;
    this.root.hidden = !slides;
    this.controls.hidden = !this.state.canPresent;
    if (!slides) {
      if (changed && this.shownKey) this.announce(this.t("slides-stopped"));
      this.shownKey = "";
      return;
    }
    const key = `${slides.deck}/${slides.page}`;
    const position = this.t("slide-position", { page: slides.page, pages: slides.pages });
    this.title.textContent = slides.title;
    this.position.textContent = position;
    this.image.src = slides.image;
    this.image.width = slides.width;
    this.image.height = slides.height;
    this.image.alt = this.t("slide-alt", { page: slides.page, pages: slides.pages, title: slides.title });
    this.text.textContent = slides.text || this.t("slide-no-text");
    if (changed && key !== this.shownKey) this.announce(`${slides.title}: ${position}`);
    this.shownKey = key;
    const [prev, next] = this.controls.querySelectorAll("button");
    prev.disabled = slides.page <= 1;
    next.disabled = slides.page >= slides.pages;
  }
}
