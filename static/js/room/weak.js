/**
 * Weak-connection mode (issue 13): what a teacher on mobile data chooses, and what
 * the page suggests when it measures a bad link.
 *
 * Two choices, remembered in localStorage and chosen on the pre-join screen (three
 * radio buttons: normal, data saver, listen only) or in the room:
 * - data saver: no camera video is received (the worker fills no camera slot, screen
 *   shares come at a low layer; audio, slides and chat as ever) and the page does not
 *   send its camera until the person turns it on; the toolbar's toggle switches it.
 * - listen only: the page never asks for a microphone; the microphone button says why
 *   and, if the person wants to speak after all, leaves listen-only.
 *
 * The link's quality comes from the media worker (media.quality) and from this page's
 * own statistics (link.js); the worse of the two shows. The mark shows in the status line
 * and on the own tile; a link that is mostly poor for SUGGEST_AFTER_MS brings the
 * suggestion to save data. The worker's adaptation (rtc.bandwidth) shows as a short notice.
 */

import { role } from "./dom.js";
import { LinkMeter, SAMPLE_EVERY_MS, linkMark, updateLinkMark, worseLevel } from "./link.js";

const STORAGE_KEY = "meet.live.mode";
export const SUGGEST_AFTER_MS = 10000;
const SUGGEST_SHARE = 0.7; // of the samples in that time that were poor
const MODES = ["normal", "saver", "listen"];
const REDUCED = ["reduced", "speaker", "audio"]; // rtc.bandwidth states the page tells
const NOTICE_HOLD_MS = 10000;

function loadMode() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
    return { saver: stored.saver === true, listen: stored.listen === true };
  } catch {
    return { saver: false, listen: false };
  }
}

export class WeakMode {
  constructor(root, { t, stage, announce, showAlert }) {
    this.root = root;
    this.t = t;
    this.stage = stage;
    this.announce = announce;
    this.showAlert = showAlert;
    this.mode = loadMode();
    this.media = null;
    this.meter = null;
    this.ownLevel = ""; // the page's own measure
    this.workerLevel = ""; // the worker's (what the others see), once it has spoken
    this.recent = []; // [{at, level}] of the last SUGGEST_AFTER_MS
    this.dismissed = false;
    this.bandwidth = "ok";
    this.noticeTimer = 0;
    this.toggle = role(root, "saver-toggle");
    this.suggestion = role(root, "weak-suggestion");
    this.notice = role(root, "bandwidth-notice");
    this.ownMark = linkMark("", t);
    role(root, "status-line").append(this.ownMark);
    this.toggle.addEventListener("click", () => this.setSaver(!this.mode.saver));
    role(root, "weak-accept").addEventListener("click", () => this.setSaver(true));
    role(root, "weak-dismiss").addEventListener("click", () => {
      this.dismissed = true;
      this.suggestion.hidden = true;
    });
    this.#guardMic(root.querySelector(".live-controls [data-action='mic']"));
    this.#show();
  }

  get saver() {
    return this.mode.saver;
  }

  get listen() {
    return this.mode.listen;
  }

  #save() {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.mode));
  }

  // -- before joining ---------------------------------------------------------------

  /** Before the preview starts: listen-only asks for no microphone, data saver starts
   * no camera. The device choice itself (devices.js) is kept as the person made it. */
  prepare(devices) {
    this.wanted = { camera: devices.choice.cameraOn, mic: devices.choice.micOn };
    if (this.mode.listen) devices.choice.micOn = false;
    if (this.mode.listen || this.mode.saver) devices.choice.cameraOn = false;
  }

  /** The pre-join radio buttons; `changed` refreshes the preview. */
  bindPrejoin(devices, changed) {
    const radios = [...this.root.querySelectorAll("input[name='live-mode']")];
    const current = this.mode.listen ? "listen" : this.mode.saver ? "saver" : "normal";
    for (const radio of radios) {
      radio.checked = radio.value === current;
      radio.addEventListener("change", () => {
        if (radio.checked && MODES.includes(radio.value)) this.#choose(radio.value, devices).then(changed);
      });
    }
  }

  async #choose(mode, devices) {
    if (!this.mode.listen && !this.mode.saver) {
      this.wanted = { camera: Boolean(devices.video), mic: Boolean(devices.audio) };
    }
    this.mode = { saver: mode === "saver", listen: mode === "listen" };
    this.#save();
    this.#show();
    const camera = mode === "normal" && this.wanted.camera;
    const mic = mode !== "listen" && this.wanted.mic;
    if (Boolean(devices.video) !== camera) await devices.setCamera(camera);
    if (Boolean(devices.audio) !== mic) await devices.setMicrophone(mic);
    // The mode decides for this join; the remembered device choice stays the person's.
    Object.assign(devices.choice, { cameraOn: this.wanted.camera, micOn: this.wanted.mic });
    devices.save();
  }

  // -- in the room ------------------------------------------------------------------

  /** The media module started: apply the mode, measure the link, hear the worker. */
  attach(media) {
    this.media = media;
    media.addEventListener("bandwidth", (event) => this.#bandwidth(event.detail?.state || "ok"));
    this.meter = new LinkMeter(() => media.pc);
    this.meter.addEventListener("level", (event) => {
      this.ownLevel = event.detail.level;
      this.#level();
    });
    this.meter.addEventListener("paused", (event) => this.stage.setPaused(event.detail.tracks));
    this.meter.start();
    this.stage.setSaver(this.mode.saver);
  }

  /** The worker's measure of this page's link (media.quality). */
  workerSaid(message) {
    this.workerLevel = message.level || "";
    this.#level();
  }

  /** Data saver on or off, from the toolbar or the suggestion. */
  async setSaver(on) {
    this.mode = { ...this.mode, saver: on };
    this.#save();
    this.suggestion.hidden = true;
    this.#show();
    this.stage.setSaver(on);
    if (this.media) {
      this.media.setReceiveVideo(!on);
      if (on && this.media.camera) await this.media.setCamera(false);
    }
    this.announce(this.t(on ? "saver-now-on" : "saver-now-off"));
  }

  stop() {
    if (this.meter) this.meter.stop();
  }

  #show() {
    this.toggle.setAttribute("aria-pressed", String(this.mode.saver));
    this.root.classList.toggle("is-saving-data", this.mode.saver);
    const mic = this.root.querySelector(".live-controls [data-action='mic']");
    if (mic) mic.title = this.mode.listen ? this.t("listen-only-mic") : "";
  }

  #guardMic(button) {
    // Before main.js's handler (on the room, bubbling): in listen-only the microphone
    // button explains, and goes on only if the person wants to speak after all.
    button.addEventListener("click", (event) => {
      if (!this.mode.listen || button.getAttribute("aria-pressed") === "true") return;
      if (window.confirm(this.t("listen-only-confirm"))) {
        this.mode = { ...this.mode, listen: false };
        this.#save();
        this.#show();
        return;
      }
      event.stopPropagation();
    });
  }

  #level() {
    const level = worseLevel(this.workerLevel, this.ownLevel);
    updateLinkMark(this.ownMark, level, this.t);
    this.stage.setOwnLink(level);
    // A bad link wavers between poor and fair from one sample to the next (retransmitted
    // video hides some loss): "poor for ~10 s" is most of the last 10 s, and poor now.
    const now = performance.now();
    this.recent.push({ at: now, level });
    while (now - this.recent[0].at > SUGGEST_AFTER_MS) this.recent.shift();
    const covered = now - this.recent[0].at >= SUGGEST_AFTER_MS - SAMPLE_EVERY_MS;
    const poor = this.recent.filter((sample) => sample.level === "poor").length;
    const long = level === "poor" && covered && poor >= SUGGEST_SHARE * this.recent.length;
    if (long && !this.mode.saver && !this.dismissed && this.suggestion.hidden) {
      this.suggestion.hidden = false;
      this.announce(this.t("weak-suggest"));
    }
  }

  #bandwidth(state) {
    if (state === this.bandwidth) return;
    this.bandwidth = state;
    window.clearTimeout(this.noticeTimer);
    if (!REDUCED.includes(state)) {
      // The worker tries its budget again now and then; a notice that blinks each time
      // reads as a fault. It goes once the link has been fine for a while.
      this.noticeTimer = window.setTimeout(() => {
        this.notice.hidden = true;
      }, NOTICE_HOLD_MS);
      return;
    }
    const text = this.t(`bandwidth-${state}`);
    if (this.notice.hidden || this.notice.textContent !== text) this.announce(text);
    this.notice.textContent = text;
    this.notice.hidden = false;
  }

}
