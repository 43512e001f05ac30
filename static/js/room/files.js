/** Files shared in the meeting, and uploading slides (hosts and presenters). */

import { fileSize } from "./i18n.js";
import { h, role } from "./dom.js";

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

export class FilesPanel {
  constructor(root, { state, send, t, lang, config, announce }) {
    this.root = root;
    this.state = state;
    this.send = send;
    this.t = t;
    this.lang = lang;
    this.config = config;
    this.announce = announce;
    this.list = role(root, "file-list");
    this.older = role(root, "files-older");
    this.status = role(root, "upload-status");
    this.fileForm = role(root, "file-form");
    this.slidesForm = role(root, "slides-form");
    this.deckList = role(root, "deck-list");
    this.deckSection = role(root, "decks-section");
    this.fileForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#upload(role(this.fileForm, "file-input"), config.filesUrl, config.fileMaxBytes, "file");
    });
    this.slidesForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#upload(role(this.slidesForm, "slides-input"), config.slidesUrl, config.slidesMaxBytes, "slides");
    });
    this.deckList.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-deck]");
      if (button) this.send({ type: "slides.show", deck: Number(button.dataset.deck), page: 1 });
    });
    state.addEventListener("change", (event) => {
      const { type, message } = event.detail;
      if (type === "welcome" || type === "participant.updated") this.renderAll();
      else if (type === "file.shared") {
        this.#addFile(message.file);
        this.announce(t("file-shared", { name: message.file.by, file: message.file.name }));
      } else if (type === "deck.added") this.#renderDecks();
    });
  }

  renderAll() {
    this.slidesForm.hidden = !this.state.canPresent;
    this.list.replaceChildren();
    for (const file of this.state.files.values()) this.#addFile(file);
    const older = (this.state.filesTotal || 0) - this.state.files.size;
    this.older.hidden = older <= 0;
    this.older.textContent = older > 0 ? this.t("files-older", { count: older }) : "";
    this.#renderDecks();
  }

  #addFile(file) {
    if (this.list.querySelector(`[data-file="${file.id}"]`)) return;
    this.list.append(
      h(
        "li",
        { class: "live-file", dataset: { file: file.id } },
        h("a", { href: file.url, download: file.name }, file.name),
        h("span", { class: "muted" }, ` ${fileSize(file.size, this.lang)} · ${file.by}`),
      ),
    );
  }

  #renderDecks() {
    const decks = [...this.state.decks.values()];
    this.deckSection.hidden = decks.length === 0;
    this.deckList.replaceChildren(
      ...decks.map((deck) =>
        h(
          "li",
          { class: "live-file" },
          h("span", {}, `${deck.title} `),
          h("span", { class: "muted" }, this.t("deck-pages", { count: deck.pages })),
          this.state.canPresent
            ? h(
                "button",
                {
                  type: "button",
                  class: "btn btn-small",
                  dataset: { deck: deck.id },
                  "aria-label": this.t("deck-show-label", { title: deck.title }),
                },
                this.t("deck-show"),
              )
            : null,
        ),
      ),
    );
  }

  async #upload(input, url, maxBytes, kind) {
    const file = input.files && input.files[0];
    if (!file) {
      this.#say(this.t("upload-choose"));
      return;
    }
    if (file.size > maxBytes) {
      this.#say(this.t("upload-too-large", { size: fileSize(maxBytes, this.lang) }));
      return;
    }
    const body = new FormData();
    body.append("file", file);
    this.#say(kind === "slides" ? this.t("slides-rendering") : this.t("upload-sending"));
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "X-Meet-Peer": this.state.you?.peer || "" },
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        this.#say(answer.error || this.t("upload-failed"));
        return;
      }
      input.value = "";
      this.#say(kind === "slides" ? this.t("slides-ready") : this.t("upload-done"));
    } catch {
      this.#say(this.t("upload-failed"));
    }
  }

  #say(text) {
    this.status.textContent = text;
  }
}
