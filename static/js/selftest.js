/**
 * Device self-test (templates/rooms/selftest.html, C53 Art. 18.3).
 *
 * Four checks — camera, microphone, speakers, connection — run one by one or
 * in order with "Run all checks"; "Save result" POSTs the outcome as JSON.
 * Every user-visible string comes from the page's
 * <template id="selftest-messages"> so it is translated by Django; this file
 * holds no interface text.
 */

const ORDER = ["camera", "microphone", "speakers", "connection"];

const MIC_THRESHOLD = 0.1; // peak sample amplitude (−20 dBFS) that counts as "heard"
const MIC_LISTEN_MS = 8000;
const MIC_GRACE_MS = 1500; // keep the meter moving a little after the voice was heard
const MIC_TICK_MS = 50;
const LEVEL_TEXT_MS = 250;
const TONE_HZ = 440;
const TONE_SECS = 1.5;
const TONE_GAIN = 0.3;
const FRAME_TIMEOUT_MS = 10000;
const CAMERA_PREVIEW_MS = 60000; // the preview turns itself off after this
const PING_COUNT = 5;
const PING_TIMEOUT_MS = 5000;
const DOWNLOAD_MAX_MS = 20000; // slower links are measured on what arrived by then
const RTT_OK_MS = 300;
const RATE_OK_MBPS = 1;

const BADGE_FOR_STATE = {
  idle: "badge-muted",
  running: "badge-info",
  ok: "badge-ok",
  problem: "badge-bad",
};

/** Read the translated strings out of the page's <template>. */
function loadMessages(doc) {
  const messages = new Map();
  const template = doc.getElementById("selftest-messages");
  if (!template) return messages;
  for (const element of template.content.querySelectorAll("[data-msg]")) {
    messages.set(element.dataset.msg, element.textContent.trim().replace(/\s+/g, " "));
  }
  return messages;
}

/** Return a function t(key, values) that fills {name} placeholders. */
function makeTranslator(messages) {
  return (key, values = {}) => {
    const text = messages.get(key) ?? "";
    return text.replace(/\{(\w+)\}/g, (match, name) =>
      Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match,
    );
  };
}

/** Median of a non-empty list of numbers. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Round to a number of decimals, for the JSON payload. */
function round(value, decimals = 0) {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** Map a getUserMedia error to a message key. */
function mediaErrorKey(kind, error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return `${kind}-denied`;
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return `${kind}-missing`;
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return `${kind}-busy`;
    default:
      return "failed";
  }
}

/** An error whose message key the page can show. */
class CheckError extends Error {
  constructor(key) {
    super(key);
    this.key = key;
  }
}

/** fetch() with a timeout and no caching. */
async function fetchFresh(url, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetch(url, {
      cache: "no-store",
      credentials: "same-origin",
      signal: controller.signal,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Median round trip of PING_COUNT sequential GETs, in milliseconds. */
async function measureRtt(url) {
  const times = [];
  for (let i = 0; i < PING_COUNT; i += 1) {
    const start = performance.now();
    const response = await fetchFresh(url, PING_TIMEOUT_MS);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`ping answered ${response.status}`);
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Download `bytes` bytes once and return the rate in Mbit/s. */
async function measureDownload(url, bytes) {
  const target = new URL(url, window.location.href);
  target.searchParams.set("bytes", String(bytes));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), DOWNLOAD_MAX_MS);
  const start = performance.now();
  let received = 0;
  try {
    const response = await fetch(target, {
      cache: "no-store",
      credentials: "same-origin",
      signal: controller.signal,
    });
    if (!response.ok) throw new Error(`download answered ${response.status}`);
    received = await countBody(response, controller.signal);
  } finally {
    clearTimeout(timer);
  }
  const seconds = (performance.now() - start) / 1000;
  if (received === 0 || seconds <= 0) throw new Error("no data received");
  return (received * 8) / seconds / 1e6;
}

/** Count the bytes of a response body; on timeout, what arrived so far. */
async function countBody(response, signal) {
  if (!response.body?.getReader) return (await response.arrayBuffer()).byteLength;
  const reader = response.body.getReader();
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
    }
  } catch (error) {
    if (!(signal.aborted && received > 0)) throw error;
  }
  return received;
}

/** Resolve true once the video shows a frame with a size, false on timeout. */
function waitForFrame(video, timeoutMs) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    if ("requestVideoFrameCallback" in video) {
      const onFrame = (_now, meta) => {
        if (meta.width > 0 && meta.height > 0) finish(true);
        else if (!done) video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
      return;
    }
    const poll = () => {
      if (done) return;
      if (video.readyState >= 2 && video.videoWidth > 0 && video.videoHeight > 0) finish(true);
      else setTimeout(poll, 100);
    };
    poll();
  });
}

/** Play a short sine tone; resolve when it has finished. */
function playTone(context) {
  return new Promise((resolve) => {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    const start = context.currentTime + 0.05;
    const end = start + TONE_SECS;
    oscillator.type = "sine";
    oscillator.frequency.value = TONE_HZ;
    // Short ramps at both ends avoid a click.
    gain.gain.setValueAtTime(0, start);
    gain.gain.linearRampToValueAtTime(TONE_GAIN, start + 0.05);
    gain.gain.setValueAtTime(TONE_GAIN, end - 0.05);
    gain.gain.linearRampToValueAtTime(0, end);
    oscillator.connect(gain).connect(context.destination);
    // A suspended context never fires "ended"; do not wait for ever.
    const fallback = setTimeout(done, TONE_SECS * 1000 + 1000);
    function done() {
      clearTimeout(fallback);
      oscillator.disconnect();
      gain.disconnect();
      resolve();
    }
    oscillator.addEventListener("ended", done, { once: true });
    oscillator.start(start);
    oscillator.stop(end);
  });
}

/** Peak absolute sample value of the analyser's current frame (0..1). */
function framePeak(analyser, buffer) {
  let peak = 0;
  if (analyser.getFloatTimeDomainData) {
    analyser.getFloatTimeDomainData(buffer.float);
    for (const sample of buffer.float) peak = Math.max(peak, Math.abs(sample));
  } else {
    analyser.getByteTimeDomainData(buffer.bytes);
    for (const sample of buffer.bytes) peak = Math.max(peak, Math.abs(sample - 128) / 128);
  }
  return Math.min(1, peak);
}

/**
 * Listen to a microphone stream, report each frame's level to onLevel and
 * resolve with the highest peak heard.
 */
function listen(context, stream, onLevel) {
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  // Some engines only process nodes that reach the destination: connect
  // through a muted gain so nothing is played back (no echo).
  const mute = context.createGain();
  mute.gain.value = 0;
  source.connect(analyser).connect(mute).connect(context.destination);
  const buffer = {
    float: new Float32Array(analyser.fftSize),
    bytes: new Uint8Array(analyser.fftSize),
  };
  const started = performance.now();
  let peak = 0;
  let heardAt = null;
  return new Promise((resolve) => {
    const tick = () => {
      const level = framePeak(analyser, buffer);
      const now = performance.now();
      peak = Math.max(peak, level);
      if (heardAt === null && peak >= MIC_THRESHOLD) heardAt = now;
      onLevel(level);
      const timeUp = now - started >= MIC_LISTEN_MS;
      const heardEnough = heardAt !== null && now - heardAt >= MIC_GRACE_MS;
      if (!timeUp && !heardEnough) {
        setTimeout(tick, MIC_TICK_MS);
        return;
      }
      source.disconnect();
      analyser.disconnect();
      mute.disconnect();
      resolve(peak);
    };
    tick();
  });
}

/** Meter scale: square root, so normal speech fills a good part of the bar. */
function levelPercent(level) {
  return Math.round(100 * Math.sqrt(Math.min(1, Math.max(0, level))));
}

/** Extract a readable message from a DRF error body. */
function errorText(body) {
  if (!body || typeof body !== "object") return "";
  if (typeof body.detail === "string") return body.detail;
  const parts = [];
  const collect = (value) => {
    if (typeof value === "string") parts.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === "object") Object.values(value).forEach(collect);
  };
  collect(body);
  return parts.join(" ");
}

/** Value of a cookie, or "". */
function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

/** One check's card: badge, message, run button, busy flag. */
class CheckCard {
  constructor(element, t, announce) {
    this.element = element;
    this.t = t;
    this.announce = announce;
    this.name = element.dataset.name || "";
    this.badge = element.querySelector('[data-role="badge"]');
    this.message = element.querySelector('[data-role="message"]');
    this.runButton = element.querySelector('[data-action="run"]');
    this.select = element.querySelector('[data-role="device"]');
    this.busy = false;
    this.state = "idle";
  }

  /** Show a state on the badge and a message, and announce both. */
  set(state, message) {
    this.state = state;
    this.badge.classList.remove(...Object.values(BADGE_FOR_STATE));
    this.badge.classList.add(BADGE_FOR_STATE[state]);
    this.badge.textContent = this.t(`state-${state}`);
    this.say(message);
  }

  /** Replace the message and announce it with the current state. */
  say(message) {
    this.message.textContent = message;
    this.announce(this.t("announce", { check: this.name, state: this.badge.textContent, message }));
  }

  /** Mark the run button unavailable without removing it from the tab order. */
  setBusy(busy) {
    this.busy = busy;
    this.runButton.setAttribute("aria-disabled", String(busy));
  }
}

/** The page: wires the cards, runs the checks, saves the result. */
class SelfTest {
  constructor(root) {
    this.root = root;
    this.t = makeTranslator(loadMessages(document));
    this.live = document.getElementById("selftest-live");
    this.cards = {};
    for (const element of root.querySelectorAll("[data-check]")) {
      this.cards[element.dataset.check] = new CheckCard(element, this.t, (text) => this.announce(text));
    }
    this.urls = {
      save: root.dataset.saveUrl,
      ping: root.dataset.pingUrl,
      download: root.dataset.downloadUrl,
    };
    this.downloadBytes = Number(root.dataset.downloadBytes) || 2000000;
    this.results = {
      camera_ok: null,
      microphone_ok: null,
      microphone_peak: 0,
      speakers_ok: null,
      rtt_ms: null,
      download_mbps: null,
    };
    this.streams = { camera: null, microphone: null };
    this.audioContext = null;
    this.cameraRun = 0;
    this.cameraTimer = null;
    this.answer = null; // resolver while the speakers question is open
    this.runningAll = false;
    this.runners = {
      camera: (card) => this.checkCamera(card),
      microphone: (card) => this.checkMicrophone(card),
      speakers: (card) => this.checkSpeakers(card),
      connection: (card) => this.checkConnection(card),
    };
  }

  /** Attach event handlers. */
  start() {
    const runAll = this.root.querySelector('[data-action="run-all"]');
    this.runAllButton = runAll;
    runAll.addEventListener("click", () => this.runAll());
    for (const [name, card] of Object.entries(this.cards)) {
      card.runButton.addEventListener("click", () => this.onRunClick(name));
    }
    this.root.querySelector('[data-action="save"]').addEventListener("click", () => this.save());
    this.cards.camera.element
      .querySelector('[data-action="stop"]')
      .addEventListener("click", () => this.stopCamera(true));
    this.cards.camera.select.addEventListener("change", () => this.onCameraChange());
    for (const button of this.root.querySelectorAll('[data-action="answer"]')) {
      button.addEventListener("click", () => this.onAnswer(button.dataset.answer === "yes"));
    }
    const meter = this.cards.microphone.element.querySelector('[data-role="meter"]');
    meter.low = levelPercent(MIC_THRESHOLD);
    this.setLevel(0);
    navigator.mediaDevices?.addEventListener?.("devicechange", () => this.refreshDevices());
    window.addEventListener("pagehide", () => this.stopAll());
  }

  /**
   * Polite announcement. The region is emptied first so a repeated text is
   * read again; texts that arrive together are joined, not dropped.
   */
  announce(text) {
    if (!this.live || !text) return;
    this.pendingAnnouncement = this.pendingAnnouncement ? `${this.pendingAnnouncement} ${text}` : text;
    if (this.announceTimer) return;
    this.live.textContent = "";
    this.announceTimer = setTimeout(() => {
      this.live.textContent = this.pendingAnnouncement;
      this.pendingAnnouncement = "";
      this.announceTimer = null;
    }, 150);
  }

  /** The shared AudioContext, created or resumed inside a user gesture. */
  audio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!this.audioContext) this.audioContext = new Context();
    if (this.audioContext.state === "suspended") this.audioContext.resume().catch(() => {});
    return this.audioContext;
  }

  onRunClick(name) {
    this.audio(); // unlock audio while the click still counts as a gesture
    if (name === "speakers" && this.answer) {
      this.replayTone();
      return;
    }
    if (this.runningAll) return;
    this.runCheck(name);
  }

  /** Run one check, guarding against double starts; resolve true if it passed. */
  async runCheck(name) {
    const card = this.cards[name];
    if (card.busy) return false;
    card.setBusy(true);
    try {
      return await this.runners[name](card);
    } catch (error) {
      const key = error instanceof CheckError ? error.key : "failed";
      card.set("problem", this.t(key));
      return false;
    } finally {
      card.setBusy(false);
    }
  }

  /** Run the four checks in order, then turn the camera off. */
  async runAll() {
    if (this.runningAll) return;
    this.audio();
    this.runningAll = true;
    this.runAllButton.setAttribute("aria-disabled", "true");
    Object.values(this.cards).forEach((card) => card.runButton.setAttribute("aria-disabled", "true"));
    let passed = 0;
    try {
      for (const name of ORDER) {
        if (await this.runCheck(name)) passed += 1;
        this.cards[name].runButton.setAttribute("aria-disabled", "true");
      }
    } finally {
      this.stopCamera(false);
      this.runningAll = false;
      this.runAllButton.setAttribute("aria-disabled", "false");
      Object.values(this.cards).forEach((card) => card.runButton.setAttribute("aria-disabled", "false"));
    }
    this.announce(this.t("all-done", { passed, total: ORDER.length }));
  }

  /** getUserMedia with errors turned into message keys. */
  async getMedia(kind, constraints) {
    if (!navigator.mediaDevices?.getUserMedia) throw new CheckError("unsupported");
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      throw new CheckError(mediaErrorKey(kind, error));
    }
  }

  /** Constraint for the device chosen in a select ("" = browser default). */
  static deviceConstraint(select, extra = {}) {
    return select.value ? { ...extra, deviceId: { exact: select.value } } : { ...extra };
  }

  async checkCamera(card) {
    const run = ++this.cameraRun;
    this.stopCamera(false);
    card.set("running", this.t("camera-start"));
    const video = card.element.querySelector('[data-role="preview"]');
    const constraints = SelfTest.deviceConstraint(card.select, {
      width: { ideal: 1280 },
      height: { ideal: 720 },
    });
    const stream = await this.getMedia("camera", { video: constraints, audio: false });
    if (run !== this.cameraRun) {
      stream.getTracks().forEach((track) => track.stop());
      return false;
    }
    this.streams.camera = stream;
    video.srcObject = stream;
    card.element.querySelector('[data-action="stop"]').hidden = false;
    video.play().catch(() => {}); // muted + playsinline: allowed everywhere
    this.cameraTimer = setTimeout(() => this.stopCamera(false), CAMERA_PREVIEW_MS);
    await this.refreshDevices(stream);
    const ok = await waitForFrame(video, FRAME_TIMEOUT_MS);
    if (run !== this.cameraRun) {
      // Turned off by the user, or restarted with another device.
      if (!this.streams.camera && card.state === "running") card.set("idle", "");
      return ok;
    }
    if (!ok) this.stopCamera(false);
    this.results.camera_ok = ok;
    card.set(ok ? "ok" : "problem", this.t(ok ? "camera-ok" : "camera-no-picture"));
    return ok;
  }

  /** Turn the camera preview off; moveFocus when the user pressed the button. */
  stopCamera(moveFocus) {
    if (moveFocus) this.cameraRun += 1;
    clearTimeout(this.cameraTimer);
    this.stopStream("camera");
    const card = this.cards.camera;
    const video = card.element.querySelector('[data-role="preview"]');
    video.srcObject = null;
    const stopButton = card.element.querySelector('[data-action="stop"]');
    stopButton.hidden = true;
    if (moveFocus) card.runButton.focus();
  }

  onCameraChange() {
    if (this.streams.camera && !this.runningAll) {
      this.cards.camera.setBusy(false);
      this.runCheck("camera");
    }
  }

  async checkMicrophone(card) {
    const context = this.audio();
    if (!context) throw new CheckError("unsupported");
    this.stopStream("microphone");
    card.set("running", this.t("microphone-start"));
    const constraints = SelfTest.deviceConstraint(card.select);
    const stream = await this.getMedia("microphone", {
      audio: Object.keys(constraints).length ? constraints : true,
      video: false,
    });
    this.streams.microphone = stream;
    await this.refreshDevices(stream);
    let peak = 0;
    try {
      peak = await listen(context, stream, (level) => this.setLevel(level));
    } finally {
      this.stopStream("microphone");
      this.setLevel(0, true);
    }
    const ok = peak >= MIC_THRESHOLD;
    this.results.microphone_ok = ok;
    this.results.microphone_peak = round(peak, 3);
    card.set(ok ? "ok" : "problem", this.t(ok ? "microphone-ok" : "microphone-quiet"));
    return ok;
  }

  /** Move the meter; the text follows at a calmer pace. */
  setLevel(level, force = false) {
    const element = this.cards.microphone.element;
    const meter = element.querySelector('[data-role="meter"]');
    const text = element.querySelector('[data-role="level"]');
    // Fall back slowly so the bar is readable; rise at once.
    this.shownLevel = Math.max(level, (this.shownLevel || 0) * 0.85);
    const percent = levelPercent(force ? level : this.shownLevel);
    meter.value = percent;
    const now = performance.now();
    if (force || !this.levelTextAt || now - this.levelTextAt >= LEVEL_TEXT_MS) {
      this.levelTextAt = now;
      text.textContent = this.t("microphone-level", { level: percent });
    }
    if (force) this.shownLevel = level;
  }

  async checkSpeakers(card) {
    const context = this.audio();
    if (!context) throw new CheckError("unsupported");
    const question = card.element.querySelector('[data-role="question"]');
    question.hidden = true;
    card.set("running", this.t("speakers-playing"));
    await playTone(context);
    const answered = new Promise((resolve) => {
      this.answer = resolve;
    });
    question.hidden = false;
    card.runButton.setAttribute("aria-disabled", "false"); // now plays the tone again
    card.say(this.t("speakers-question"));
    question.querySelector('[data-answer="yes"]').focus();
    const heard = await answered;
    this.answer = null;
    question.hidden = true;
    card.runButton.focus();
    this.results.speakers_ok = heard;
    card.set(heard ? "ok" : "problem", this.t(heard ? "speakers-ok" : "speakers-problem"));
    return heard;
  }

  onAnswer(heard) {
    if (this.answer) this.answer(heard);
  }

  /** While the question is open, the play button plays the tone again. */
  async replayTone() {
    const context = this.audio();
    if (context) await playTone(context);
  }

  async checkConnection(card) {
    const rttElement = card.element.querySelector('[data-role="rtt"]');
    const rateElement = card.element.querySelector('[data-role="rate"]');
    const number = new Intl.NumberFormat(document.documentElement.lang || undefined, {
      maximumFractionDigits: 1,
    });
    rttElement.textContent = "–";
    rateElement.textContent = "–";
    card.set("running", this.t("connection-start"));
    let rtt;
    let mbps;
    try {
      rtt = await measureRtt(this.urls.ping);
      rttElement.textContent = this.t("connection-rtt", { ms: number.format(Math.round(rtt)) });
      mbps = await measureDownload(this.urls.download, this.downloadBytes);
      rateElement.textContent = this.t("connection-rate", { mbps: number.format(mbps) });
    } catch {
      this.results.rtt_ms = rtt === undefined ? null : round(rtt, 1);
      this.results.download_mbps = null;
      throw new CheckError("connection-failed");
    }
    this.results.rtt_ms = round(rtt, 1);
    this.results.download_mbps = round(mbps, 2);
    return this.reportConnection(card, rtt, mbps);
  }

  reportConnection(card, rtt, mbps) {
    const problems = [];
    if (rtt >= RTT_OK_MS) problems.push(this.t("connection-slow-rtt"));
    if (mbps < RATE_OK_MBPS) problems.push(this.t("connection-slow-rate"));
    if (problems.length === 0) {
      card.set("ok", this.t("connection-ok"));
      return true;
    }
    problems.push(this.t("connection-advice"));
    card.set("problem", problems.join(" "));
    return false;
  }

  /** Fill the device pickers; labels are only known after permission. */
  async refreshDevices(activeStream = null) {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    let devices;
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    const pickers = [
      ["camera", "videoinput", "video"],
      ["microphone", "audioinput", "audio"],
    ];
    for (const [name, kind, trackKind] of pickers) {
      const select = this.cards[name].select;
      const labelKey = `${name}-device`;
      const inUse = activeStream?.getTracks().find((track) => track.kind === trackKind);
      const chosen = inUse?.getSettings?.().deviceId || select.value;
      this.fillPicker(select, devices.filter((device) => device.kind === kind), labelKey, chosen);
    }
  }

  fillPicker(select, devices, labelKey, chosen) {
    const defaultOption = select.options[0];
    const options = [defaultOption];
    for (const device of devices) {
      // "default"/"communications" repeat a real device; empty ids mean no permission yet.
      if (!device.deviceId || device.deviceId === "default" || device.deviceId === "communications") continue;
      const label = device.label || this.t(labelKey, { number: options.length });
      options.push(new Option(label, device.deviceId));
    }
    select.replaceChildren(...options);
    select.value = options.some((option) => option.value === chosen) ? chosen : "";
  }

  stopStream(kind) {
    const stream = this.streams[kind];
    if (stream) stream.getTracks().forEach((track) => track.stop());
    this.streams[kind] = null;
  }

  /** Leaving the page: release camera, microphone and audio. */
  stopAll() {
    this.cameraRun += 1;
    this.stopCamera(false);
    this.stopStream("microphone");
    if (this.audioContext) {
      this.audioContext.close().catch(() => {});
      this.audioContext = null;
    }
  }

  payload() {
    const r = this.results;
    return {
      camera_ok: r.camera_ok === true,
      microphone_ok: r.microphone_ok === true,
      microphone_peak: r.microphone_peak,
      speakers_ok: r.speakers_ok === true,
      rtt_ms: r.rtt_ms,
      download_mbps: r.download_mbps,
      user_agent: navigator.userAgent,
    };
  }

  csrfToken() {
    const input = this.root.querySelector('input[name="csrfmiddlewaretoken"]');
    return input?.value || readCookie("csrftoken");
  }

  /** Show an alert in the save region (itself aria-live="polite"). */
  showSaveStatus(kind, text) {
    const region = this.root.querySelector('[data-role="save-status"]');
    const alert = document.createElement("div");
    alert.className = `alert alert-${kind}`;
    alert.textContent = text;
    region.replaceChildren(alert);
  }

  async save() {
    const anyRun = Object.values(this.cards).some((card) => card.state === "ok" || card.state === "problem");
    if (!anyRun) {
      this.showSaveStatus("info", this.t("save-nothing"));
      return;
    }
    if (this.saving) return;
    this.saving = true;
    this.showSaveStatus("info", this.t("save-saving"));
    try {
      const response = await fetch(this.urls.save, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": this.csrfToken(),
        },
        body: JSON.stringify(this.payload()),
      });
      await this.reportSave(response);
    } catch {
      this.showSaveStatus("error", this.t("save-failed"));
    } finally {
      this.saving = false;
    }
  }

  async reportSave(response) {
    if (response.ok) {
      this.showSaveStatus("success", this.t("save-ok"));
      return;
    }
    let detail = "";
    try {
      detail = errorText(await response.json());
    } catch {
      detail = "";
    }
    const text = detail ? this.t("save-error", { detail }) : this.t("save-failed");
    this.showSaveStatus("error", text);
  }
}

const root = document.getElementById("selftest");
if (root) new SelfTest(root).start();
