/**
 * The people panel: everybody in the meeting with their role and state, the
 * lobby and the raised hands (in the order raised). Hosts get a row of buttons
 * per person; every button names the person it acts on, for screen readers. Each
 * row shows the person's link mark; hosts see a weak link spelled out, everyone sees
 * who listens only (issue 13).
 */

import { h, perFrame, role } from "./dom.js";
import { linkMark } from "./link.js";

export class PeoplePanel {
  constructor(root, { state, send, t, onCount }) {
    this.root = root;
    this.state = state;
    this.send = send;
    this.t = t;
    this.onCount = onCount;
    this.list = role(root, "people-list");
    this.lobbyList = role(root, "lobby-list");
    this.lobbySection = role(root, "lobby-section");
    this.handsList = role(root, "hands-list");
    this.handsSection = role(root, "hands-section");
    this.render = perFrame(() => this.#render());
    state.addEventListener("change", (event) => {
      const { type } = event.detail;
      if (RELEVANT.has(type)) this.render();
    });
    root.addEventListener("click", (event) => this.#click(event));
  }

  #click(event) {
    const button = event.target.closest("button[data-act]");
    if (!button) return;
    const peer = button.dataset.peer;
    const act = button.dataset.act;
    const messages = {
      mute: { type: "mod.mute", peer },
      "stop-video": { type: "mod.stop_video", peer },
      remove: { type: "mod.remove", peer },
      presenter: { type: "mod.presenter", peer, on: true },
      unpresenter: { type: "mod.presenter", peer, on: false },
      admit: { type: "mod.admit", peer },
      deny: { type: "mod.deny", peer },
      "lower-hand": { type: "hand.lower", peer },
    };
    if (act === "remove") {
      const person = this.state.participants.get(peer) || this.state.lobby.get(peer);
      if (!window.confirm(this.t("confirm-remove", { name: person?.name || "" }))) return;
    }
    if (messages[act]) this.send(messages[act]);
  }

  #render() {
    const { state, t } = this;
    const people = [...state.participants.values()];
    this.onCount(people.length);
    this.list.replaceChildren(...people.map((person) => this.#row(person)));

    const waiting = [...state.lobby.values()];
    this.lobbySection.hidden = !(state.isHost && waiting.length);
    this.lobbyList.replaceChildren(
      ...waiting.map((person) =>
        h(
          "li",
          { class: "live-person" },
          h("span", { class: "live-person-name" }, person.name),
          h(
            "span",
            { class: "cluster live-person-actions" },
            this.#button("admit", person, t("admit"), t("admit-label", { name: person.name }), "btn-primary"),
            this.#button("deny", person, t("deny"), t("deny-label", { name: person.name })),
          ),
        ),
      ),
    );

    this.handsSection.hidden = state.hands.length === 0;
    this.handsList.replaceChildren(
      ...state.hands.map((hand) =>
        h(
          "li",
          { class: "live-person" },
          h("span", { class: "live-person-name" }, hand.name),
          state.isHost
            ? this.#button("lower-hand", hand, t("lower-hand"), t("lower-hand-label", { name: hand.name }))
            : null,
        ),
      ),
    );
  }

  #row(person) {
    const { state, t } = this;
    const me = state.you && person.peer === state.you.peer;
    const badges = [];
    if (person.role === "host") badges.push(h("span", { class: "badge badge-info" }, t("role-host")));
    if (person.role === "guest") badges.push(h("span", { class: "badge badge-muted" }, t("role-guest")));
    if (person.role === "observer") badges.push(h("span", { class: "badge badge-muted" }, t("role-observer")));
    if (person.presenter) badges.push(h("span", { class: "badge badge-ok" }, t("role-presenter")));
    if (person.hand) badges.push(h("span", { class: "badge badge-warn" }, t("hand-up")));
    // No microphone or camera on purpose (issue 13): why they never speak.
    if (person.listen) badges.push(h("span", { class: "badge badge-muted", dataset: { listen: "" } }, t("listening-only")));
    const weak = person.link === "poor";
    if (weak && state.isHost) badges.push(h("span", { class: "badge badge-bad" }, t("link-weak")));
    // Their link dropped; the server keeps their seat while the page reconnects.
    if (person.away) badges.push(h("span", { class: "badge badge-muted", dataset: { away: "" } }, t("person-reconnecting")));
    const status = [
      person.audio ? t("mic-on") : t("mic-off"),
      person.video ? t("camera-on") : t("camera-off"),
    ];
    if (person.screen) status.push(t("screen-on"));
    const actions = [];
    if (state.isHost && !me) {
      if (person.audio) actions.push(this.#button("mute", person, t("mute"), t("mute-label", { name: person.name })));
      if (person.video) {
        actions.push(this.#button("stop-video", person, t("stop-video"), t("stop-video-label", { name: person.name })));
      }
      actions.push(
        person.presenter
          ? this.#button("unpresenter", person, t("unmake-presenter"), t("unmake-presenter-label", { name: person.name }))
          : this.#button("presenter", person, t("make-presenter"), t("make-presenter-label", { name: person.name })),
      );
      actions.push(this.#button("remove", person, t("remove"), t("remove-label", { name: person.name }), "btn-danger"));
    }
    return h(
      "li",
      { class: weak && state.isHost ? "live-person is-weak-link" : "live-person", dataset: { peer: person.peer, link: person.link || "" } },
      h(
        "span",
        { class: "live-person-name" },
        linkMark(person.link || "", t),
        person.name,
        me ? ` ${t("you-suffix")}` : "",
      ),
      h("span", { class: "cluster live-person-badges" }, badges),
      h(
        "span",
        { class: "live-person-state muted", dataset: { audio: person.audio ? "on" : "off" } },
        status.join(" · "),
      ),
      actions.length ? h("span", { class: "cluster live-person-actions" }, actions) : null,
    );
  }

  #button(act, person, text, label, extra = "") {
    return h(
      "button",
      {
        type: "button",
        class: `btn btn-small ${extra}`.trim(),
        dataset: { act, peer: person.peer },
        "aria-label": label,
      },
      text,
    );
  }
}

const RELEVANT = new Set([
  "welcome",
  "participant.joined",
  "participant.updated",
  "participant.left",
  "lobby.entered",
  "lobby.left",
  "hands",
]);
