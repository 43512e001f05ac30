/**
 * This browser's camera and microphone: the pre-join preview and check, device
 * choice (remembered in localStorage), on/off, and the level meter. The room
 * hands the live tracks to the media module; turning a device off stops its
 * track so the camera light goes out.
 *
 * Event: "tracks" (detail: {audio, video}) whenever a track starts, stops or
 * changes device.
 */

const STORAGE_KEY = "meet.live.devices";

function loadChoice() {
  try {
    return { camera: "", microphone: "", cameraOn: true, micOn: true, ...JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") };
  } catch {
    return { camera: "", microphone: "", cameraOn: true, micOn: true };
  }
}

export class LocalDevices extends EventTarget {
  constructor() {
    super();
    this.choice = loadChoice();
    this.audio = null;
    this.video = null;
    this.error = null;
    this.meterContext = null;
    this.meterTimer = 0;
    // Device changes run one after another: a choice made while the browser is still
    // opening the preview (listen-only picked at once) must see the preview's tracks,
    // or it would leave them live and remember the devices as off.
    this.queue = Promise.resolve();
  }

  #serial(work) {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Resolves when every device change asked for so far has finished. */
  settled() {
    return this.queue;
  }

  get supported() {
    return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  save() {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.choice));
  }

  /** Start what the person chose; a missing or refused device is reported, not thrown. */
  start() {
    return this.#serial(async () => {
      this.error = null;
      if (this.choice.cameraOn) await this.#startKind("video");
      if (this.choice.micOn) await this.#startKind("audio");
      return this.error;
    });
  }

  async #startKind(kind) {
    if (!this.supported) {
      this.error = { kind, name: "unsupported" };
      return null;
    }
    const deviceId = kind === "video" ? this.choice.camera : this.choice.microphone;
    const constraints =
      kind === "video"
        ? { video: { ...(deviceId ? { deviceId: { exact: deviceId } } : {}), width: { ideal: 640 }, height: { ideal: 360 } } }
        : { audio: { ...(deviceId ? { deviceId: { exact: deviceId } } : {}), echoCancellation: true, noiseSuppression: true } };
    try {
      const stream = await navigator.mediaDevices.getUserMedia(constraints);
      const track = kind === "video" ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
      this.#replace(kind, track);
      return track;
    } catch (error) {
      this.error = { kind, name: error?.name || "Error" };
      if (kind === "video") this.choice.cameraOn = false;
      else this.choice.micOn = false;
      return null;
    }
  }

  #replace(kind, track) {
    const old = kind === "video" ? this.video : this.audio;
    if (old && old !== track) old.stop();
    if (kind === "video") this.video = track;
    else this.audio = track;
    this.dispatchEvent(new CustomEvent("tracks", { detail: { audio: this.audio, video: this.video } }));
  }

  /** Turn the camera on or off. */
  setCamera(on) {
    return this.#serial(async () => {
      this.choice.cameraOn = on;
      this.save();
      if (on && !this.video) await this.#startKind("video");
      if (!on && this.video) this.#replace("video", null);
      return Boolean(this.video);
    });
  }

  /** Turn the microphone on or off. */
  setMicrophone(on) {
    return this.#serial(async () => {
      this.choice.micOn = on;
      this.save();
      if (on && !this.audio) await this.#startKind("audio");
      if (!on && this.audio) this.#replace("audio", null);
      return Boolean(this.audio);
    });
  }

  /** Use another camera or microphone (restarts that device if it is on, unless told not to). */
  use(kind, deviceId, { start = true } = {}) {
    return this.#serial(async () => {
      if (kind === "video") this.choice.camera = deviceId;
      else this.choice.microphone = deviceId;
      this.save();
      const on = kind === "video" ? this.choice.cameraOn : this.choice.micOn;
      if (on && start) await this.#startKind(kind);
    });
  }

  /** Cameras and microphones, for the choice lists. */
  async list() {
    if (!navigator.mediaDevices?.enumerateDevices) return { cameras: [], microphones: [] };
    const devices = await navigator.mediaDevices.enumerateDevices();
    return {
      cameras: devices.filter((d) => d.kind === "videoinput"),
      microphones: devices.filter((d) => d.kind === "audioinput"),
    };
  }

  /** A stream with the current tracks (for a <video> preview). */
  previewStream() {
    const stream = new MediaStream();
    if (this.video) stream.addTrack(this.video);
    return stream;
  }

  /** Move a <meter> with the microphone's level until stopMeter(). */
  startMeter(meter) {
    this.stopMeter();
    if (!this.audio || !window.AudioContext) return;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    context.createMediaStreamSource(new MediaStream([this.audio])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    this.meterContext = context;
    this.meterTimer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
      meter.value = Math.min(100, Math.round(peak * 200));
    }, 100);
  }

  stopMeter() {
    clearInterval(this.meterTimer);
    if (this.meterContext) this.meterContext.close();
    this.meterContext = null;
  }

  /** Stop everything (leaving the meeting). */
  stop() {
    this.stopMeter();
    for (const track of [this.audio, this.video]) if (track) track.stop();
    this.audio = this.video = null;
  }
}

/** Fill a <select> with devices, keeping the chosen one selected. */
export function fillSelect(select, devices, chosen, label) {
  const keep = [...select.options].filter((option) => option.value === "");
  select.replaceChildren(...keep);
  devices.forEach((device, index) => {
    const option = document.createElement("option");
    option.value = device.deviceId;
    option.textContent = device.label || label(index + 1);
    option.selected = device.deviceId === chosen;
    select.append(option);
  });
}
