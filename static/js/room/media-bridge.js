/**
 * The bridge to media.js (the media half: its MediaSession owns the camera, the
 * microphone and the RTCPeerConnection; docs/media.md). Loaded on demand so the
 * room — chat, polls, people, slides, moderation — works even when media cannot
 * start. It turns MediaSession's events into what the stage and controls use:
 *
 *   "slots"   detail: [{mid, kind, slot, peer, name, source, track}]
 *   "speaker" detail: {peer}
 *   "muted"   detail: {source}            (a host stopped our microphone or camera)
 *   "state"   detail: {state}             (connecting, connected, reconnecting, failed…)
 *   "local"   detail: {mic, camera, screen, video}   (video: our camera track or null)
 *   "bandwidth" detail: {state}           (the worker's adaptation to our link: ok,
 *                                          reduced, speaker, audio)
 */

export class MediaBridge extends EventTarget {
  /** broadcast: a host in a webinar's time slot, whose camera may become the program. */
  constructor({ send, iceServers, lastN, broadcast = false }) {
    super();
    this.send = send;
    this.iceServers = iceServers;
    this.lastN = lastN;
    this.broadcast = broadcast;
    this.session = null;
    this.slots = new Map();
    this.large = null; // peers whose tile is large (stage.js), null until it says
  }

  get mic() {
    return Boolean(this.session?.mic);
  }

  get camera() {
    return Boolean(this.session?.camera);
  }

  get screen() {
    return Boolean(this.session?.screen);
  }

  get state() {
    return this.session?.state || "closed";
  }

  /** The current RTCPeerConnection (for its statistics), or null. */
  get pc() {
    return this.session?.pc || null;
  }

  /** Start sending and receiving; false when the media module cannot run here. */
  async start({ mic, camera, audioDevice, videoDevice, receiveVideo = true }) {
    let module;
    try {
      module = await import("./media.js");
    } catch (error) {
      console.warn("meet: the media module is not available", error);
      return false;
    }
    if (typeof module.MediaSession !== "function" || !window.RTCPeerConnection) return false;
    const session = new module.MediaSession({
      send: (message) => this.send(message),
      iceServers: this.iceServers,
      slots: { audio: 4, camera: this.lastN, screen: 1 },
      // The recorder copies H.264 into the live HLS program; VP8 would be transcoded.
      preferH264: this.broadcast,
    });
    this.session = session;
    if (this.large && session.setLarge) session.setLarge(this.large);
    if (!receiveVideo) session.setReceiveVideo(false); // said with the first offer
    session.addEventListener("track-added", ({ detail }) => {
      this.slots.set(detail.mid, { ...detail, track: detail.stream.getTracks()[0] });
      this.#emit("slots", [...this.slots.values()]);
    });
    session.addEventListener("track-removed", ({ detail }) => {
      this.slots.delete(detail.mid);
      this.#emit("slots", [...this.slots.values()]);
    });
    session.addEventListener("speaker", ({ detail }) => this.#emit("speaker", detail));
    session.addEventListener("muted", ({ detail }) => this.#emit("muted", detail));
    session.addEventListener("bandwidth", ({ detail }) => this.#emit("bandwidth", detail));
    session.addEventListener("connection-state", ({ detail }) => this.#emit("state", detail));
    session.addEventListener("local-changed", ({ detail }) => this.#local(detail));
    session.addEventListener("error", ({ detail }) => console.warn("meet media:", detail?.message));
    try {
      await session.start({
        mic,
        camera,
        audioDevice: audioDevice || undefined,
        videoDevice: videoDevice || undefined,
      });
    } catch (error) {
      console.warn("meet: media did not start", error);
      session.close();
      this.session = null;
      return false;
    }
    return true;
  }

  #local(detail) {
    const video = this.session?.localStream.getVideoTracks()[0] || null;
    this.#emit("local", { ...detail, video: detail.camera ? video : null });
  }

  #emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  /** A WebRTC message from the worker (rtc.*). */
  handle(message) {
    if (this.session) this.session.handle(message);
  }

  /** release: stop the microphone's track too (listen-only), not just mute it. */
  async setMic(on, { release = false } = {}) {
    if (this.session) await this.session.setMic(on, { release });
  }

  async setCamera(on) {
    if (this.session) await this.session.setCamera(on);
  }

  /** Another camera ("video") or microphone ("audio"). */
  async use(kind, deviceId) {
    if (this.session) await this.session.setDevice(kind === "video" ? "videoinput" : "audioinput", deviceId);
  }

  async startScreen() {
    if (this.session) await this.session.startScreenShare();
  }

  async stopScreen() {
    if (this.session) await this.session.stopScreenShare();
  }

  /** Prefer these participants' cameras (pinned, presenters) for last-N. */
  subscribe(peers) {
    if (this.session) this.session.subscribe(peers);
  }

  /** These participants' tiles are large: their high layer when the link allows. */
  setLarge(peers) {
    this.large = peers; // kept for a session that is still starting
    if (this.session && this.session.setLarge) this.session.setLarge(peers);
  }

  /** Weak-connection mode: receive camera video (on) or not (off). */
  setReceiveVideo(on) {
    if (this.session) this.session.setReceiveVideo(on);
  }

  /** After the signaling socket came back: a fresh connection and offer. */
  async restart() {
    if (this.session && this.session.restart) await this.session.restart().catch(() => {});
  }

  close() {
    if (this.session) this.session.close();
    this.session = null;
    this.slots.clear();
  }
}
