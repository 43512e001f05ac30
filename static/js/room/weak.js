/**
 * Weak-connection mode (issue 13): what a teacher on mobile data chooses, and what
 * the page suggests when it measures a bad link.
 *
 * Two choices, remembered in localStorage and chosen on the pre-join screen (three
 * radio buttons: normal, data saver, listen only) or in the room (the toolbar's toggles):
 * - data saver: no camera video is received (the worker fills no camera slot, screen
 *   shares come at a low layer; audio, slides and chat as ever) and the page does not
 *   send its camera until the person turns it on.
 * - listen only: as data saver, and the page uses no microphone or camera at all: the
 *   pre-join screen neither asks for them nor shows their choice; going into it in the
 *   room stops both devices (the browser's "in use" mark goes off). The others see the
 *   person as listening only (media.state `listen`). The microphone and camera buttons
 *   say why and, if the person wants to speak after all, leave listen-only: that asks
 *   for the devices again and publishes them.
 * Either way the stage shows the name tiles of the people whose camera is not received,
 * and says why.
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
  /** devices: the pre-join LocalDevices (they stay the page's when media cannot run);
   * changed(): the page's controls and media.state need refreshing. */
  constructor(root, { t, stage, announce, showAlert, devices, changed }) {
    this.root = root;
    this.t = t;
    this.stage = stage;
    this.announce = announce;
    this.showAlert = showAlert;
    this.devices = devices;
    this.changed = changed;
    this.mode = loadMode();
    this.wanted = { camera: devices.choice.cameraOn, mic: devices.choice.micOn };
    this.media = null;
    this.meter = null;
    this.ownLevel = ""; // the page's own measure
    this.workerLevel = ""; // the worker's (what the others see), once it has spoken
    this.recent = []; // [{at, level}] of the last SUGGEST_AFTER_MS
    this.dismissed = false;
    this.bandwidth = "ok";
    this.noticeTimer = 0;
    this.toggle = role(root, "saver-toggle");
    this.listenToggle = role(root, "listen-toggle");
    this.suggestion = role(root, "weak-suggestion");
    this.notice = role(root, "bandwidth-notice");
    this.ownMark = linkMark("", t);
    role(root, "status-line").append(this.ownMark);
    this.toggle.addEventListener("click", () => this.setSaver(!this.mode.saver));
    this.listenToggle.addEventListener("click", () => this.setListen(!this.mode.listen));
    role(root, "weak-accept").addEventListener("click", () => this.setSaver(true));
    role(root, "weak-dismiss").addEventListener("click", () => {
      this.dismissed = true;
      this.suggestion.hidden = true;
    });
    for (const action of ["mic", "camera"]) this.#guard(root.querySelector(`.live-controls [data-action='${action}']`));
    this.#show();
  }

  get saver() {
    return this.mode.saver;
  }

  get listen() {
    return this.mode.listen;
  }

  /** Whether camera video is received: not in data saver nor in listen-only. */
  get receiveVideo() {
    return !this.mode.saver && !this.mode.listen;
  }

  #save() {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.mode));
  }

  // -- before joining ---------------------------------------------------------------

  /** Before the preview starts: listen-only asks for no microphone, data saver starts
   * no camera. The device choice itself (devices.js) is kept as the person made it. */
  prepare(devices) {
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
      // The person's own toggles, not the live tracks: the preview may still be opening.
      this.wanted = { camera: devices.choice.cameraOn, mic: devices.choice.micOn };
    }
    this.mode = { saver: mode === "saver", listen: mode === "listen" };
    this.#save();
    this.#show();
    const camera = mode === "normal" && this.wanted.camera;
    const mic = mode !== "listen" && this.wanted.mic;
    // A preview still opening skips what this mode does not use (listen-only never asks
    // for the microphone); what it already opened is stopped once it has.
    Object.assign(devices.choice, { cameraOn: camera, micOn: mic });
    await devices.settled();
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
    this.#stageReason();
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
    this.#stageReason();
    if (this.media) {
      this.media.setReceiveVideo(this.receiveVideo);
      if (on && this.media.camera) await this.media.setCamera(false);
    }
    this.changed();
    this.announce(this.t(on ? "saver-now-on" : "saver-now-off"));
  }

  /** Listen-only on or off in the room. Going in stops (and gives back) the microphone
   * and the camera and stops receiving camera video; going out asks for the microphone
   * again (and the camera if it was on), says so when the browser refuses, and
   * receives video again unless data saver is on. */
  async setListen(on, { camera = this.wanted.camera } = {}) {
    if (on === this.mode.listen || this.listenToggle.disabled) return;
    if (on) {
      const now = this.#sending();
      this.wanted = { ...this.wanted, camera: now.camera || (!this.mode.saver && this.wanted.camera) };
    }
    this.mode = { ...this.mode, listen: on };
    this.#save();
    this.suggestion.hidden = true;
    this.#show();
    this.#stageReason();
    if (this.media) this.media.setReceiveVideo(this.receiveVideo);
    // One switch at a time: a second click while the browser asks for a device waits.
    this.listenToggle.disabled = true;
    try {
      if (on) await this.#release();
      else await this.#publish({ camera: camera && !this.mode.saver });
    } finally {
      this.listenToggle.disabled = false;
    }
    this.changed();
  }

  #sending() {
    if (this.media) return { mic: this.media.mic, camera: this.media.camera };
    return { mic: Boolean(this.devices.audio), camera: Boolean(this.devices.video) };
  }

  async #release() {
    const keep = { ...this.devices.choice }; // the remembered choice stays the person's
    if (this.media) {
      await this.media.setMic(false, { release: true }).catch(() => {});
      await this.media.setCamera(false).catch(() => {});
    } else {
      await this.devices.setMicrophone(false);
      await this.devices.setCamera(false);
      Object.assign(this.devices.choice, keep);
      this.devices.save();
    }
    this.announce(this.t("listen-now-on"));
  }

  async #publish({ camera }) {
    let problem = null;
    try {
      if (this.media) await this.media.setMic(true);
      else if (!(await this.devices.setMicrophone(true))) problem = this.devices.error;
    } catch (error) {
      problem = { kind: "audio", name: error?.name || "Error" };
    }
    if (!problem && camera) {
      try {
        if (this.media) await this.media.setCamera(true);
        else if (!(await this.devices.setCamera(true))) problem = this.devices.error;
      } catch (error) {
        problem = { kind: "video", name: error?.name || "Error" };
      }
    }
    if (!problem) {
      this.announce(this.t("listen-now-off"));
      return;
    }
    // Out of listen-only all the same (video comes again); the person hears why the
    // device did not start and how to allow it.
    const refused = ["NotAllowedError", "SecurityError"].includes(problem.name);
    const device = problem.kind === "video" ? "camera" : "mic";
    const text = this.t(`listen-off-${device}-${refused ? "denied" : "missing"}`);
    this.showAlert(text);
    this.announce(text);
  }

  stop() {
    if (this.meter) this.meter.stop();
  }

  /** A juror watching a lesson (observer.js): the lesson's video comes, whatever mode
   * this browser remembers (left as it is); data saver stays theirs to turn on. */
  watchLesson() {
    this.mode = { saver: false, listen: false };
    this.#show();
  }

  #show() {
    const { saver, listen } = this.mode;
    this.toggle.setAttribute("aria-pressed", String(saver));
    // Listen-only receives no camera either: the data-saver toggle would change nothing.
    this.toggle.hidden = listen;
    this.listenToggle.setAttribute("aria-pressed", String(listen));
    this.root.classList.toggle("is-saving-data", saver || listen);
    this.root.classList.toggle("is-listening", listen);
    for (const action of ["mic", "camera"]) {
      const button = this.root.querySelector(`.live-controls [data-action='${action}']`);
      if (button) button.title = listen ? this.t(`listen-only-${action}`) : "";
    }
    // The pre-join screen in listen-only: a line instead of the device choice and meter.
    for (const element of this.root.querySelectorAll("[data-listen-hides]")) element.hidden = listen;
    role(this.root, "listen-line").hidden = !listen;
  }

  #stageReason() {
    this.stage.setVideoOff(this.mode.listen ? "listen" : this.mode.saver ? "saver" : "");
  }

  #guard(button) {
    // Before main.js's handler (on the room, bubbling): in listen-only the microphone and
    // camera buttons explain, and leave listen-only if the person wants to after all.
    button.addEventListener("click", (event) => {
      if (!this.mode.listen) return;
      event.stopPropagation();
      if (!window.confirm(this.t("listen-only-confirm"))) return;
      const camera = button.dataset.action === "camera" || this.wanted.camera;
      this.setListen(false, { camera });
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
    const saving = this.mode.saver || this.mode.listen;
    if (long && !saving && !this.dismissed && this.suggestion.hidden) {
      this.suggestion.hidden = false;
      this.announce(this.t("weak-suggest"));
    }
  }

  #bandwidth(state) {
    if (state === this.bandwidth) return;
    this.bandwidth = state;
    this.stage.setBandwidth(state); // the paused videos' name tiles, at once
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
