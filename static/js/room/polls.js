/** Polls: hosts and presenters ask; everybody answers; results are live. */

import { h, role } from "./dom.js";

export class PollsPanel {
  constructor(root, { state, send, t, lang, announce }) {
    this.root = root;
    this.state = state;
    this.send = send;
    this.t = t;
    this.lang = lang;
    this.announce = announce;
    this.form = role(root, "poll-form");
    this.list = role(root, "poll-list");
    this.empty = role(root, "polls-empty");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#create();
    });
    state.addEventListener("change", (event) => {
      const { type, message } = event.detail;
      if (type === "welcome") this.renderAll();
      else if (type === "poll.opened") {
        this.#upsert(message.poll);
        if (message.poll.by !== state.you?.name) this.announce(t("poll-opened", { question: message.poll.question }));
      } else if (type === "poll.results" || type === "poll.closed") this.#upsert(message.poll);
      else if (type === "poll.voted") this.#upsert(state.polls.get(message.poll));
      else if (type === "participant.updated") this.form.hidden = !state.canPresent;
    });
    root.addEventListener("submit", (event) => {
      const form = event.target.closest("form[data-poll]");
      if (!form) return;
      event.preventDefault();
      const choices = [...form.querySelectorAll("input:checked")].map((input) => Number(input.value));
      if (choices.length) this.send({ type: "poll.vote", poll: Number(form.dataset.poll), choices });
    });
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-close-poll]");
      if (button) this.send({ type: "poll.close", poll: Number(button.dataset.closePoll) });
    });
  }

  #create() {
    const question = role(this.form, "poll-question").value.trim();
    const options = role(this.form, "poll-options")
      .value.split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    const multiple = role(this.form, "poll-multiple").checked;
    if (!question || options.length < 2) {
      this.announce(this.t("poll-needs-answers"));
      return;
    }
    if (this.send({ type: "poll.create", question, options, multiple })) this.form.reset();
  }

  renderAll() {
    this.form.hidden = !this.state.canPresent;
    this.list.replaceChildren();
    for (const poll of this.state.polls.values()) this.#upsert(poll);
  }

  #upsert(poll) {
    if (!poll) return;
    this.empty.hidden = true;
    const existing = this.list.querySelector(`[data-poll-id="${poll.id}"]`);
    const item = this.#render(poll);
    if (existing) {
      // Keep the person's unsent choice and focus when results change under them.
      const focused = existing.contains(document.activeElement) ? document.activeElement?.id : null;
      const checked = new Set([...existing.querySelectorAll("input:checked")].map((i) => i.value));
      for (const input of item.querySelectorAll("input")) {
        if (checked.size) input.checked = checked.has(input.value);
      }
      existing.replaceWith(item);
      if (focused) document.getElementById(focused)?.focus();
    } else this.list.prepend(item);
  }

  #render(poll) {
    const { t } = this;
    const mine = new Set(this.state.votes.get(poll.id) || []);
    const total = poll.counts.reduce((sum, count) => sum + count, 0);
    const type = poll.multiple ? "checkbox" : "radio";
    const options = poll.options.map((text, index) => {
      const id = `poll-${poll.id}-${index}`;
      const count = poll.counts[index] || 0;
      const percent = total ? Math.round((count * 100) / total) : 0;
      return h(
        "li",
        { class: "live-poll-option" },
        h(
          "span",
          { class: "field-inline" },
          h("input", {
            type,
            id,
            name: `poll-${poll.id}`,
            value: index,
            checked: mine.has(index),
            disabled: poll.closed,
          }),
          h("label", { for: id }, text),
        ),
        h("meter", {
          class: "meter",
          min: 0,
          max: 100,
          value: percent,
          "aria-label": t("poll-result", { answer: text, count, percent }),
        }),
        h("span", { class: "muted live-poll-count" }, t("poll-count", { count, percent })),
      );
    });
    const actions = [];
    if (!poll.closed) actions.push(h("button", { type: "submit", class: "btn btn-secondary btn-small" }, mine.size ? t("poll-change") : t("poll-vote")));
    if (!poll.closed && this.state.canPresent) {
      actions.push(h("button", { type: "button", class: "btn btn-link btn-small", dataset: { closePoll: poll.id } }, t("poll-close")));
    }
    return h(
      "li",
      { class: "live-poll card", dataset: { pollId: poll.id } },
      h(
        "form",
        { dataset: { poll: poll.id } },
        h(
          "fieldset",
          { class: "fieldset" },
          h("legend", {}, poll.question),
          h(
            "p",
            { class: "muted" },
            poll.closed ? t("poll-closed") : poll.multiple ? t("poll-many") : t("poll-one"),
            " · ",
            t("poll-voters", { count: poll.voters }),
          ),
          h("ul", { class: "live-poll-options" }, options),
        ),
        actions.length ? h("div", { class: "cluster" }, actions) : null,
      ),
    );
  }
}
