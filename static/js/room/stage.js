/**
 * The video stage: a grid of tiles (own camera, the people the media worker
 * forwards, screen shares first), the active speaker highlighted, at most
 * `lastN` camera tiles (default 9, so a briefing with 60 sites stays usable;
 * the rest are counted below the grid). Media comes from media-bridge.js; the
 * stage only shows what it is given. Each tile carries the person's link mark
 * (link.js); a camera tile whose video the worker paused shows the person's name.
 */

import { h, perFrame, role } from "./dom.js";
import { linkMark, updateLinkMark } from "./link.js";

// A tile at least this many device pixels wide shows the high layer (640 wide) well;
// below it the low layer (320 wide) looks the same and costs a sixth.
const LARGE_TILE_PX = 400;

export class Stage {
  constructor(root, { state, t, lastN }) {
    this.root = root;
    this.state = state;
    this.t = t;
    this.lastN = lastN;
    this.grid = role(root, "grid");
    this.empty = role(root, "stage-empty");
    this.more = role(root, "more-video");
    this.local = null; // own camera track
    this.localScreen = null;
    this.slots = []; // [{mid, kind, slot, peer, name, source, track}]
    this.speaker = null;
    this.ownLink = ""; // this page's link, measured here until the worker says
    this.paused = new Set(); // ids of slot tracks whose frames stopped
    this.saver = false; // weak-connection mode: no camera video is received
    this.emptyText = this.empty.textContent;
    this.tiles = new Map(); // key -> <li>
    this.audio = new Map(); // mid -> <audio>
    this.render = perFrame(() => this.#render());
    // Called with the peers whose camera tile is big enough for their high layer
    // (docs/media.md "Layers"): the others get the small one, even on a good link.
    this.onLarge = null;
    this.large = null;
    window.addEventListener("resize", () => this.render());
    state.addEventListener("change", (event) => {
      if (["welcome", "participant.updated", "participant.left", "participant.joined"].includes(event.detail.type)) {
        this.render();
      }
    });
  }

  setLocal(track) {
    this.local = track;
    this.render();
  }

  setLocalScreen(track) {
    this.localScreen = track;
    this.render();
  }

  setSlots(slots) {
    this.slots = slots;
    this.#attachAudio();
    this.render();
  }

  setOwnLink(level) {
    if (level === this.ownLink) return;
    this.ownLink = level;
    this.render();
  }

  setPaused(trackIds) {
    this.paused = new Set(trackIds);
    this.render();
  }

  setSaver(on) {
    this.saver = Boolean(on);
    this.render();
  }

  setSpeaker(peer) {
    this.speaker = peer;
    for (const [key, tile] of this.tiles) {
      tile.classList.toggle("is-speaking", Boolean(peer) && key.startsWith(`${peer}/`));
    }
  }

  #attachAudio() {
    const wanted = new Map(this.slots.filter((s) => s.kind === "audio" && s.track).map((s) => [s.mid, s]));
    for (const [mid, element] of this.audio) {
      if (!wanted.has(mid)) {
        element.srcObject = null;
        element.remove();
        this.audio.delete(mid);
      }
    }
    for (const [mid, slot] of wanted) {
      let element = this.audio.get(mid);
      if (!element) {
        element = h("audio", { autoplay: true, hidden: true });
        this.root.append(element);
        this.audio.set(mid, element);
      }
      if (!element.srcObject || element.srcObject.getTracks()[0] !== slot.track) {
        element.srcObject = new MediaStream([slot.track]);
      }
    }
  }

  #tiles() {
    const you = this.state.you;
    const list = [];
    const videos = this.slots.filter((s) => s.kind === "video" && s.peer && s.track);
    for (const slot of videos.filter((s) => s.slot === "screen")) {
      list.push({ key: `${slot.peer}/screen`, peer: slot.peer, name: slot.name, track: slot.track, screen: true });
    }
    if (this.localScreen && you) {
      list.push({ key: `${you.peer}/screen`, peer: you.peer, name: you.name, track: this.localScreen, screen: true, mine: true });
    }
    if (this.local && you) {
      list.push({ key: `${you.peer}/camera`, peer: you.peer, name: you.name, track: this.local, mine: true });
    }
    const cameras = videos.filter((s) => s.slot !== "screen");
    // The active speaker first, then the order the worker chose.
    cameras.sort((a, b) => (b.peer === this.speaker) - (a.peer === this.speaker));
    for (const slot of cameras) {
      list.push({ key: `${slot.peer}/camera`, peer: slot.peer, name: slot.name, track: slot.track });
    }
    return list;
  }

  #render() {
    const all = this.#tiles();
    const screens = all.filter((tile) => tile.screen);
    const cameras = all.filter((tile) => !tile.screen).slice(0, this.lastN);
    const shown = [...screens, ...cameras];
    const keep = new Set(shown.map((tile) => tile.key));
    for (const [key, element] of this.tiles) {
      if (!keep.has(key)) {
        element.remove();
        this.tiles.delete(key);
      }
    }
    shown.forEach((tile, index) => {
      let element = this.tiles.get(tile.key);
      if (!element) {
        element = this.#tile(tile);
        this.tiles.set(tile.key, element);
      }
      this.#update(element, tile);
      if (this.grid.children[index] !== element) this.grid.insertBefore(element, this.grid.children[index] || null);
    });
    this.grid.dataset.count = String(shown.length);
    this.#reportLarge(cameras);
    this.empty.hidden = shown.length > 0;
    this.empty.textContent = this.saver ? this.t("saver-stage") : this.emptyText;
    const sending = [...this.state.participants.values()].filter((p) => p.video).length;
    const hidden = Math.max(0, sending - cameras.length);
    this.more.hidden = hidden === 0 || (this.saver && shown.length === 0);
    this.more.textContent = hidden ? this.t(this.saver ? "saver-more-video" : "more-video", { count: hidden }) : "";
  }

  #reportLarge(cameras) {
    if (!this.onLarge) return;
    const scale = window.devicePixelRatio || 1;
    const large = cameras
      .filter((tile) => !tile.mine && (this.tiles.get(tile.key)?.clientWidth || 0) * scale >= LARGE_TILE_PX)
      .map((tile) => tile.peer)
      .sort();
    const key = large.join(" ");
    if (key === this.large) return;
    this.large = key;
    this.onLarge(large);
  }

  #tile(tile) {
    const video = h("video", { autoplay: true, playsinline: true, muted: true, class: tile.mine && !tile.screen ? "is-mirrored" : null });
    video.muted = true; // audio plays through the <audio> elements
    const label = h("span", { class: "live-tile-name" });
    // Shown instead of the picture while the worker pauses this video (weak links).
    const nameCard = h("span", { class: "live-tile-card", "aria-hidden": "true" });
    const mark = linkMark("", this.t);
    mark.classList.add("live-tile-link");
    return h(
      "li",
      { class: tile.screen ? "live-tile live-tile-screen" : "live-tile", dataset: { peer: tile.peer } },
      video,
      nameCard,
      label,
      mark,
    );
  }

  #update(element, tile) {
    const video = element.querySelector("video");
    if (!video.srcObject || video.srcObject.getTracks()[0] !== tile.track) {
      video.srcObject = new MediaStream([tile.track]);
    }
    const participant = this.state.participants.get(tile.peer);
    const name = participant?.name || tile.name || "";
    const text = tile.screen
      ? this.t("tile-screen", { name })
      : tile.mine
        ? this.t("tile-you", { name })
        : name;
    element.querySelector(".live-tile-name").textContent =
      participant && !participant.audio && !tile.screen ? `${text} · ${this.t("mic-off")}` : text;
    element.setAttribute("aria-label", text);
    const link = tile.mine ? this.ownLink : participant?.link || "";
    updateLinkMark(element.querySelector(".live-tile-link"), tile.screen ? "" : link, this.t);
    const paused = !tile.screen && !tile.mine && this.paused.has(tile.track.id);
    element.classList.toggle("is-paused", paused);
    element.querySelector(".live-tile-card").textContent = paused ? name : "";
    element.classList.toggle("is-speaking", Boolean(this.speaker) && tile.peer === this.speaker && !tile.screen);
  }
}
