/**
 * The video stage: a grid of tiles (own camera, the people the media worker
 * forwards, screen shares first), the active speaker highlighted, at most
 * `lastN` camera tiles (default 9, so a briefing with 60 sites stays usable;
 * the rest are counted below the grid). Media comes from media-bridge.js; the
 * stage only shows what it is given. Each tile carries the person's link mark
 * (link.js). A camera that is not received — data saver, listen-only, or the worker
 * paused it because this page's link fits only the speaker or only the sound
 * (rtc.bandwidth "speaker"/"audio") — still has its tile: the person's name tile
 * (initials, name, link mark) and a line saying why; so has a tile whose frames stopped.
 */

import { h, perFrame, role } from "./dom.js";
import { linkMark, updateLinkMark } from "./link.js";

// A tile at least this many device pixels wide shows the high layer (640 wide) well;
// below it the low layer (320 wide) looks the same and costs a sixth.
const LARGE_TILE_PX = 400;
// rtc.bandwidth states in which the worker pauses videos that do not fit this page's link.
const PAUSING = ["speaker", "audio"];

/** Up to two letters for a name tile: the first of the first and of the last word. */
export function initials(name) {
  const words = String(name || "").normalize("NFC").trim().split(/\s+/u).filter(Boolean);
  if (!words.length) return "";
  const first = (word) => [...word][0].toLocaleUpperCase();
  return words.length === 1 ? first(words[0]) : first(words[0]) + first(words[words.length - 1]);
}

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
    this.videoOff = ""; // "saver" | "listen": this page receives no camera video
    this.bandwidth = "ok"; // the worker's word on what fits this page's link
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

  /** Why no camera video is received: "saver", "listen", or "" (it is). */
  setVideoOff(reason) {
    this.videoOff = reason || "";
    this.render();
  }

  /** The worker's rtc.bandwidth state for this page: ok, reduced, speaker, audio. */
  setBandwidth(state) {
    if (state === this.bandwidth) return;
    this.bandwidth = state;
    this.render();
  }

  // Why a camera that is on is not received here, or "" when it would be if it fit.
  #notReceived() {
    if (this.videoOff) return this.videoOff;
    return PAUSING.includes(this.bandwidth) ? "bandwidth" : "";
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
    const why = this.#notReceived();
    if (!why) return list;
    // Everyone else whose camera is on but not received here: their name tile.
    const received = new Set(cameras.map((slot) => slot.peer));
    for (const person of this.state.participants.values()) {
      if (!person.video || received.has(person.peer) || person.peer === you?.peer) continue;
      list.push({ key: `${person.peer}/camera`, peer: person.peer, name: person.name, track: null, why });
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
    // The line under the stage's title says why cameras are missing, tiles or not.
    const off = this.videoOff;
    this.empty.hidden = shown.length > 0 && !off;
    this.empty.textContent = off ? this.t(`${off}-stage`) : this.emptyText;
    this.empty.classList.toggle("is-notice", Boolean(off));
    const sending = [...this.state.participants.values()].filter((p) => p.video).length;
    const hidden = Math.max(0, sending - cameras.length);
    this.more.hidden = hidden === 0;
    this.more.textContent = hidden ? this.t("more-video", { count: hidden }) : "";
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
    const label = h("span", { class: "live-tile-name" });
    // Shown instead of the picture while no video comes (paused, data saver, listen-only).
    const nameCard = h(
      "span",
      { class: "live-tile-card" },
      h("span", { class: "live-tile-initials", "aria-hidden": "true" }),
      h("span", { class: "live-tile-card-name", "aria-hidden": "true" }),
      h("span", { class: "live-tile-why" }),
    );
    const mark = linkMark("", this.t);
    mark.classList.add("live-tile-link");
    return h(
      "li",
      { class: tile.screen ? "live-tile live-tile-screen" : "live-tile", dataset: { peer: tile.peer } },
      nameCard,
      label,
      mark,
    );
  }

  // A tile has a <video> only while a track comes: a name tile decodes nothing.
  #video(element, tile) {
    let video = element.querySelector("video");
    if (!tile.track) {
      if (video) {
        video.srcObject = null;
        video.remove();
      }
      return;
    }
    if (!video) {
      video = h("video", { autoplay: true, playsinline: true, muted: true, class: tile.mine && !tile.screen ? "is-mirrored" : null });
      video.muted = true; // audio plays through the <audio> elements
      element.prepend(video);
    }
    if (!video.srcObject || video.srcObject.getTracks()[0] !== tile.track) {
      video.srcObject = new MediaStream([tile.track]);
    }
  }

  #update(element, tile) {
    this.#video(element, tile);
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
    const stalled = Boolean(tile.track) && !tile.screen && !tile.mine && this.paused.has(tile.track.id);
    const why = tile.track ? (stalled ? "bandwidth" : "") : tile.why;
    element.classList.toggle("is-paused", Boolean(why));
    element.classList.toggle("is-name-tile", !tile.track);
    element.dataset.why = why || "";
    element.querySelector(".live-tile-initials").textContent = why ? initials(name) : "";
    element.querySelector(".live-tile-card-name").textContent = why ? name : "";
    element.querySelector(".live-tile-why").textContent = why ? this.t(`tile-why-${why}`) : "";
    element.classList.toggle("is-speaking", Boolean(this.speaker) && tile.peer === this.speaker && !tile.screen);
  }
}
