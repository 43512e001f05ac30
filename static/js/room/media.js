// meet — the live room's WebRTC module: one RTCPeerConnection to the media worker.
//
// The room UI owns the WebSocket and the page; this module owns the peer connection.
// It never sees the socket: it sends `rtc.*` messages through the `send` callback and
// the UI hands it every `rtc.*` message from the server with `handle(message)`.
// docs/media.md describes the protocol; mediaworker/wire.py is its reference.
//
//   import { MediaSession } from "./media.js";
//   const media = new MediaSession({
//     send: (message) => socket.send(JSON.stringify(message)),
//     iceServers: JSON.parse(room.dataset.iceServers || "[]"),  // none on a LAN
//     slots: { audio: 4, camera: 9, screen: 1 },                // last-N = camera
//     preferH264: false,   // a webinar's presenter: send H.264 when this browser can
//   });
//   media.addEventListener("track-added", ({ detail }) => show(detail));
//   media.addEventListener("track-removed", ({ detail }) => hide(detail));
//   await media.start({ mic: true, camera: true });   // asks for devices, offers
//   socket.onmessage = (e) => { const m = JSON.parse(e.data);
//                                if (m.type.startsWith("rtc.")) media.handle(m); };
//
// Methods (all async ones resolve once the change is applied locally):
//   start({mic, camera, audioDevice, videoDevice})  get devices, connect, publish
//   setMic(on) / setCamera(on)          no renegotiation: replaceTrack + rtc.tracks;
//                                        setMic(false, {release: true}) also stops the
//                                        microphone's track (listen-only); the camera's
//                                        always stops
//   setDevice("audioinput"|"videoinput", deviceId)   switch microphone / camera
//   startScreenShare() / stopScreenShare()   a separate track; the browser's own
//                                        "Stop sharing" button also stops it
//   subscribe(peers)                    last-N preference: these peers' cameras first
//   setLarge(peers)                     these peers' tiles are big: their high layer
//                                        when the link allows (others get the low one)
//   setReceiveVideo(on)                 weak-connection mode (off): no camera video in
//                                        (screen shares at a low layer), audio as ever
//   handle(message)                     rtc.answer, rtc.tracks, rtc.speaker,
//                                        rtc.muted, rtc.layers, rtc.bandwidth, rtc.error
//                                        from the worker
//   close()                             stop everything (leaving the room)
//   MediaSession.devices()              enumerateDevices(), grouped by kind
// Properties: mic, camera, screen (booleans), localStream (camera + mic preview),
//   state ("new" | "connecting" | "connected" | "reconnecting" | "failed" | "closed"),
//   speaker (peer id or null), remote (Map mid -> {peer, kind, slot, source, stream}),
//   receiveVideo (boolean), pc (the current RTCPeerConnection, for getStats()).
// Events (CustomEvent, data in `detail`):
//   track-added    {mid, peer, name, kind, slot, source, stream}   a slot got a track
//   track-removed  {mid, peer, name, kind, slot, source, stream}   it lost it
//   connection-state {state}      speaker {peer}      muted {source} (by a host)
//   local-changed  {mic, camera, screen}              error {message}
//   bandwidth      {state}  the worker's adaptation to this page's link: "ok",
//                  "reduced" (some videos low), "speaker" (only the speaker's), "audio"
//
// Negotiation: the browser always offers, the worker only answers (no glare). The
// offer holds three publish m-lines (mic, camera, screen; sendonly, possibly without a
// track) and recvonly slots; the worker maps publishers' tracks into the slots and
// says which with rtc.tracks. Reconnection: when the connection fails (or stays
// disconnected), the module builds a new RTCPeerConnection with the same tracks and
// offers again — new ICE credentials tell the worker to replace the old connection;
// chat and room state live on the WebSocket and are not touched. An offer needs the
// socket: when `send` returns false (the socket is down too) the module waits for the
// page's restart() once the socket is back, instead of offering into the void.

const RECONNECT_AFTER_DISCONNECT_MS = 4000;
// Each try is a new connection in the worker: quick at first, never slower than 5 s,
// so media comes back within seconds of a link that returns.
const RECONNECT_DELAYS_MS = [0, 1000, 2000, 3000, 5000];
const DEFAULT_SLOTS = { audio: 4, camera: 9, screen: 1 };
const SOURCES = ["mic", "camera", "screen"];
// Layers (docs/media.md "Layers"): the camera and the screen share are each encoded a
// second time, small, on their own m-line; the worker forwards every viewer the layer
// that fits its link and tile, and pauses (rtc.layers) a layer nobody receives.
const HIGH_ENCODINGS = {
  camera: { maxBitrate: 900_000 },
  screen: {},
};
const LOW_LAYERS = {
  "camera-low": { of: "camera", encoding: { scaleResolutionDownBy: 2, maxBitrate: 150_000, maxFramerate: 15 } },
  "screen-low": { of: "screen", encoding: { maxBitrate: 150_000, maxFramerate: 2 } },
};

function sendsH264() {
  // Receiving H.264 says nothing about encoding it: some builds decode but cannot encode.
  const caps = (window.RTCRtpSender && RTCRtpSender.getCapabilities)
    ? RTCRtpSender.getCapabilities("video") : null;
  return Boolean(caps && caps.codecs.some(isH264Mode1));
}

function isH264Mode1(codec) {
  return codec.mimeType.toLowerCase() === "video/h264"
    && /packetization-mode=1/.test(codec.sdpFmtpLine || "");
}

function videoCodecs({ preferH264 = false } = {}) {
  // The worker forwards VP8 and H.264 (packetization-mode 1); offering only those keeps
  // the SDP small with a dozen video m-lines. The worker's answer keeps the offer's
  // order, so the first codec here is the one the browser sends.
  const caps = (window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities)
    ? RTCRtpReceiver.getCapabilities("video") : null;
  if (!caps) return null;
  const vp8 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/vp8");
  const h264 = caps.codecs.filter(isH264Mode1);
  const rtx = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/rtx");
  // A broadcast's recorder copies H.264 into the HLS program as it comes; VP8 costs the
  // media worker a decode and an x264 encode for as long as the broadcast lasts.
  const video = preferH264 && h264.length && sendsH264() ? [...h264, ...vp8] : [...vp8, ...h264];
  return vp8.length || h264.length ? [...video, ...rtx] : null;
}

export class MediaSession extends EventTarget {
  constructor({ send, iceServers = [], slots = {}, preferH264 = false } = {}) {
    super();
    if (typeof send !== "function") throw new TypeError("MediaSession needs send(message)");
    this._send = send;
    this._iceServers = iceServers;
    this._preferH264 = Boolean(preferH264);
    this._slots = { ...DEFAULT_SLOTS, ...slots };
    this._tracks = { mic: null, camera: null, screen: null };
    this._on = { mic: false, camera: false, screen: false };
    this._pc = null;
    this._publish = {};        // source -> RTCRtpTransceiver
    this._receivers = new Map(); // mid -> MediaStreamTrack of the slot
    this._slotMap = new Map();  // mid -> {peer, name, kind, slot, source}
    this.remote = new Map();    // mid -> detail of the current track-added
    this._preferred = [];
    this._large = null;         // peers shown large (null: not said yet)
    this._layerOn = {};         // layer source -> sending, as the worker last asked
    this._attempt = 0;
    this._generation = 0;       // bumped by each new connection: stale timers give up
    this._disconnectTimer = null;
    this._closed = false;
    this.state = "new";
    this.speaker = null;
    this.localStream = new MediaStream();
  }

  get mic() { return this._on.mic; }
  get camera() { return this._on.camera; }
  get screen() { return this._on.screen; }

  static async devices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      audioinput: all.filter((d) => d.kind === "audioinput"),
      videoinput: all.filter((d) => d.kind === "videoinput"),
      audiooutput: all.filter((d) => d.kind === "audiooutput"),
    };
  }

  // -- starting ---------------------------------------------------------------

  async start({ mic = true, camera = true, audioDevice, videoDevice } = {}) {
    this._audioDevice = audioDevice;
    this._videoDevice = videoDevice;
    if (mic) await this._openMic().catch((e) => this._error(e));
    if (camera) await this._openCamera().catch((e) => this._error(e));
    this._on.mic = Boolean(this._tracks.mic);
    this._on.camera = Boolean(this._tracks.camera);
    await this._connect();
    this._localChanged();
  }

  async _openMic() {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: this._audioDevice ? { deviceId: { exact: this._audioDevice } } : true,
    });
    this._replaceLocal("mic", stream.getAudioTracks()[0]);
  }

  async _openCamera() {
    const video = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 30 } };
    if (this._videoDevice) video.deviceId = { exact: this._videoDevice };
    const stream = await navigator.mediaDevices.getUserMedia({ video });
    this._replaceLocal("camera", stream.getVideoTracks()[0]);
  }

  _replaceLocal(source, track) {
    const old = this._tracks[source];
    if (old && old !== track) {
      if (source !== "screen") this.localStream.removeTrack(old);
      old.stop();
    }
    this._tracks[source] = track || null;
    if (track && source !== "screen") this.localStream.addTrack(track);
  }

  // -- the peer connection ----------------------------------------------------

  async _connect() {
    if (this._closed) return;
    this._generation += 1;
    clearTimeout(this._disconnectTimer);
    const old = this._pc;
    const pc = new RTCPeerConnection({ iceServers: this._iceServers, bundlePolicy: "max-bundle" });
    this._pc = pc;
    if (old) old.close();
    this._receivers.clear();
    this._setState(this._attempt ? "reconnecting" : "connecting");
    const codecs = videoCodecs();
    // Only what this page sends follows the preference; slots take either codec.
    const sent = this._preferH264 ? videoCodecs({ preferH264: true }) : codecs;
    const described = [];
    this._publish = {};
    for (const source of SOURCES) {
      const kind = source === "mic" ? "audio" : "video";
      const init = { direction: "sendonly" };
      if (HIGH_ENCODINGS[source]) init.sendEncodings = [{ ...HIGH_ENCODINGS[source] }];
      const t = pc.addTransceiver(kind, init);
      if (kind === "video" && sent && t.setCodecPreferences) t.setCodecPreferences(sent);
      this._publish[source] = t;
    }
    for (const [layer, { encoding }] of Object.entries(LOW_LAYERS)) {
      const t = pc.addTransceiver("video", { direction: "sendonly", sendEncodings: [{ ...encoding }] });
      if (sent && t.setCodecPreferences) t.setCodecPreferences(sent);
      this._publish[layer] = t;
    }
    this._layerOn = {};
    const slots = [];
    for (const [slot, count] of Object.entries(this._slots)) {
      const kind = slot === "audio" ? "audio" : "video";
      for (let i = 0; i < count; i++) {
        const t = pc.addTransceiver(kind, { direction: "recvonly" });
        if (kind === "video" && codecs && t.setCodecPreferences) t.setCodecPreferences(codecs);
        slots.push([t, slot]);
      }
    }
    pc.addEventListener("icecandidate", (e) => {
      if (this._pc !== pc) return;
      this._send({ type: "rtc.ice", candidate: e.candidate ? e.candidate.toJSON() : null });
    });
    pc.addEventListener("connectionstatechange", () => this._onConnectionState(pc));
    await Promise.all(SOURCES.map((s) => this._publish[s].sender.replaceTrack(
      this._on[s] ? this._tracks[s] : null)));
    await Promise.all(Object.entries(LOW_LAYERS).map(([layer, { of }]) =>
      this._publish[layer].sender.replaceTrack(this._on[of] ? this._tracks[of] : null)));
    await pc.setLocalDescription(await pc.createOffer());
    for (const source of SOURCES) {
      const t = this._publish[source];
      described.push({ mid: t.mid, kind: t.receiver.track.kind, source, active: this._on[source] });
    }
    for (const [layer, { of }] of Object.entries(LOW_LAYERS)) {
      const t = this._publish[layer];
      described.push({ mid: t.mid, kind: "video", source: layer, active: this._on[of] });
    }
    for (const [t, slot] of slots) {
      described.push({ mid: t.mid, kind: t.receiver.track.kind, slot });
      this._receivers.set(t.mid, t.receiver.track);
    }
    if (this._pc !== pc) return;  // a newer connection took over meanwhile
    // Weak-connection mode goes first: the worker fills no camera slot even for a moment.
    if (!this.receiveVideo) this._sendSubscribe();
    const offered = this._send({ type: "rtc.offer", sdp: pc.localDescription.sdp, tracks: described });
    if (offered === false) {  // no socket: restart() offers again when it is back
      this._setState("reconnecting");
      return;
    }
    if (this.receiveVideo && (this._preferred.length || this._large)) this._sendSubscribe();
  }

  _onConnectionState(pc) {
    if (this._pc !== pc || this._closed) return;
    const state = pc.connectionState;
    clearTimeout(this._disconnectTimer);
    if (state === "connected") {
      this._attempt = 0;
      this._setState("connected");
    } else if (state === "disconnected") {
      this._disconnectTimer = setTimeout(() => this._reconnect(), RECONNECT_AFTER_DISCONNECT_MS);
      this._setState("reconnecting");
    } else if (state === "failed") {
      this._reconnect();
    }
  }

  async _reconnect() {
    if (this._closed) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(this._attempt, RECONNECT_DELAYS_MS.length - 1)];
    this._attempt += 1;
    this._setState("reconnecting");
    for (const mid of [...this.remote.keys()]) this._removeRemote(mid);
    this._slotMap.clear();
    const generation = this._generation;
    await new Promise((resolve) => setTimeout(resolve, delay));
    // restart() (the socket came back) may have connected meanwhile: leave it be.
    if (generation !== this._generation) return;
    await this._connect().catch((e) => this._error(e));
  }

  /** Rejoin now (e.g. after the WebSocket came back): a fresh connection and offer,
   * whatever back-off was pending. */
  async restart() {
    if (this._closed) return;
    this._attempt = Math.max(this._attempt, 1);
    for (const mid of [...this.remote.keys()]) this._removeRemote(mid);
    this._slotMap.clear();
    await this._connect();
  }

  // -- messages from the worker -----------------------------------------------

  async handle(message) {
    if (!message || typeof message.type !== "string") return;
    switch (message.type) {
      case "rtc.answer":
        if (this._pc && this._pc.signalingState === "have-local-offer") {
          await this._pc.setRemoteDescription({ type: "answer", sdp: message.sdp })
            .catch((e) => this._error(e));
        }
        break;
      case "rtc.tracks":
        this._applySlots(message.tracks || []);
        break;
      case "rtc.speaker":
        this.speaker = message.peer ?? null;
        this._emit("speaker", { peer: this.speaker });
        break;
      case "rtc.layers":
        await this._applyLayers(message.send || {});
        break;
      case "rtc.muted":
        if (message.source === "mic") await this.setMic(false, { tell: false });
        if (message.source === "camera") await this.setCamera(false, { tell: false });
        this._emit("muted", { source: message.source });
        break;
      case "rtc.bandwidth":
        this._emit("bandwidth", { state: String(message.state || "ok") });
        break;
      case "rtc.error":
        this._emit("error", { message: message.message || "media error" });
        break;
      default:
        break;
    }
  }

  async _applyLayers(send) {
    // Pause (or resume) an encoding the worker says nobody receives: no upload wasted.
    for (const [source, on] of Object.entries(send)) {
      const t = this._publish[source];
      if (!t || source === "mic" || this._layerOn[source] === Boolean(on)) continue;
      this._layerOn[source] = Boolean(on);
      const parameters = t.sender.getParameters();
      if (!parameters.encodings || !parameters.encodings.length) continue;
      parameters.encodings[0].active = Boolean(on);
      await t.sender.setParameters(parameters).catch((e) => this._error(e));
    }
  }

  _applySlots(tracks) {
    for (const entry of tracks) {
      if (!entry || !this._receivers.has(entry.mid)) continue;
      const before = this._slotMap.get(entry.mid);
      const same = before && before.peer === entry.peer && before.source === entry.source;
      if (same) continue;
      if (before && before.peer) this._removeRemote(entry.mid);
      this._slotMap.set(entry.mid, entry);
      if (entry.peer) {
        const track = this._receivers.get(entry.mid);
        const detail = {
          mid: entry.mid, peer: entry.peer, name: entry.name, kind: entry.kind,
          slot: entry.slot, source: entry.source, stream: new MediaStream([track]),
        };
        this.remote.set(entry.mid, detail);
        this._emit("track-added", detail);
      }
    }
  }

  _removeRemote(mid) {
    const detail = this.remote.get(mid);
    if (!detail) return;
    this.remote.delete(mid);
    this._emit("track-removed", detail);
  }

  // -- local controls (no renegotiation) --------------------------------------

  async setMic(on, { tell = true, release = false } = {}) {
    if (on && !this._tracks.mic) await this._openMic();
    if (this._tracks.mic) this._tracks.mic.enabled = on;  // the preview mutes too
    await this._setSending("mic", on, tell);
    // Muting keeps the device open (it comes back at once); listen-only gives it back,
    // so the browser's "in use" mark goes off.
    if (!on && release && this._tracks.mic) this._replaceLocal("mic", null);
  }

  async setCamera(on, { tell = true } = {}) {
    if (on && !this._tracks.camera) await this._openCamera();
    await this._setSending("camera", on, tell);
    if (!on && this._tracks.camera) this._replaceLocal("camera", null);  // light off
  }

  async setDevice(kind, deviceId) {
    if (kind === "audioinput") {
      this._audioDevice = deviceId;
      await this._openMic();
      await this._setSending("mic", this._on.mic, false);
    } else if (kind === "videoinput") {
      this._videoDevice = deviceId;
      if (this._on.camera) {
        await this._openCamera();
        await this._setSending("camera", true, false);
      }
    }
  }

  async startScreenShare() {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = stream.getVideoTracks()[0];
    if ("contentHint" in track) track.contentHint = "detail";
    track.addEventListener("ended", () => { if (this._tracks.screen === track) this.stopScreenShare(); });
    this._replaceLocal("screen", track);
    await this._setSending("screen", true, true);
  }

  async stopScreenShare() {
    await this._setSending("screen", false, true);
    this._replaceLocal("screen", null);
  }

  async _setSending(source, on, tell) {
    const active = Boolean(on && this._tracks[source]);
    this._on[source] = active;
    const t = this._publish[source];
    if (t) {
      await t.sender.replaceTrack(active ? this._tracks[source] : null);
      const tracks = [{ mid: t.mid, source, active }];
      for (const [layer, { of }] of Object.entries(LOW_LAYERS)) {
        const low = this._publish[layer];
        if (of !== source || !low) continue;
        await low.sender.replaceTrack(active ? this._tracks[source] : null);
        tracks.push({ mid: low.mid, source: layer, active });
      }
      if (tell) this._send({ type: "rtc.tracks", tracks });
    }
    this._localChanged();
  }

  subscribe(peers) {
    this._preferred = Array.from(peers || []).slice(0, 64);
    this._sendSubscribe();
  }

  setLarge(peers) {
    const large = Array.from(peers || []).slice(0, 64).sort();
    if (this._large && large.join(" ") === this._large.join(" ")) return;
    this._large = large;
    this._sendSubscribe();
  }

  _sendSubscribe() {
    const message = { type: "rtc.subscribe", peers: this._preferred };
    if (this._large) message.large = this._large;
    if (!this.receiveVideo) message.video = false;
    else if (this._receiveVideo === true) message.video = true;  // the way back
    this._send(message);
  }

  // -- weak-connection mode (issue 13) ----------------------------------------

  get receiveVideo() { return this._receiveVideo !== false; }

  get pc() { return this._pc; }

  /** Receive camera video (on) or not (weak-connection mode: audio, screens low). */
  setReceiveVideo(on) {
    this._receiveVideo = Boolean(on);
    // Before the first offer the flag waits: _connect() sends it with the offer.
    if (this._pc) this._sendSubscribe();
  }

  close() {
    this._closed = true;
    clearTimeout(this._disconnectTimer);
    for (const mid of [...this.remote.keys()]) this._removeRemote(mid);
    for (const source of SOURCES) this._replaceLocal(source, null);
    if (this._pc) this._pc.close();
    this._pc = null;
    this._setState("closed");
  }

  // -- events -----------------------------------------------------------------

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this._emit("connection-state", { state });
  }

  _localChanged() {
    this._emit("local-changed", { mic: this._on.mic, camera: this._on.camera, screen: this._on.screen });
  }

  _error(error) {
    this._emit("error", { message: error && error.message ? error.message : String(error) });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
