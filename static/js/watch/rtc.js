// Watches the broadcast over WebRTC: a receive-only peer connection with the media
// worker, negotiated through the watch socket (docs/protocol.md, "Watch page"). The
// worker forwards the program (the shared screen, else the active speaker) without
// re-encoding, and the microphones of the presenters who spoke last.
//
// The video element shows the program; each presenter's audio plays in its own hidden
// <audio> (Chrome plays only the first audio track of a stream in a media element), and
// follows the video element's mute and volume, so its controls and the sound button
// work as with HLS. Anything that keeps the picture from starting — the worker has no
// seat left ("full"), the room is not broadcasting, the network blocks UDP — ends in
// onFail(reason, { played }), and the page plays HLS instead (or, when it had played,
// tries again first: the media worker may have restarted).
const AUDIO_SLOTS = 3;
const START_TIMEOUT_MS = 8000; // offer → first frame; HLS takes over after that
const DISCONNECTED_GRACE_MS = 5000; // ICE may recover from "disconnected" by itself

export class RtcPlayer {
  static get supported() {
    return typeof window.RTCPeerConnection === "function";
  }

  constructor(video, { send, onStatus, onFail, onEnded }) {
    this.video = video;
    this.send = send;
    this.onStatus = onStatus;
    this.onFail = onFail;
    this.onEnded = onEnded;
    this.pc = null;
    this.audios = [];
    this.playing = false;
    this.showing = null; // whether the program slot carries a picture (null: not told yet)
    this.bandwidth = "ok"; // the worker's last rtc.bandwidth for this viewer
    this.timers = [];
    video.addEventListener("volumechange", () => this.followVolume());
  }

  get active() {
    return this.pc !== null;
  }

  async start(iceServers) {
    this.stop();
    const pc = new RTCPeerConnection({ iceServers: iceServers || [], bundlePolicy: "max-bundle" });
    this.pc = pc;
    const program = pc.addTransceiver("video", { direction: "recvonly" });
    const voices = Array.from({ length: AUDIO_SLOTS }, () => pc.addTransceiver("audio", { direction: "recvonly" }));
    this.video.srcObject = new MediaStream([program.receiver.track]);
    this.video.dataset.mode = "webrtc";
    this.audios = voices.map((transceiver) => {
      const audio = document.createElement("audio");
      audio.hidden = true;
      audio.autoplay = true;
      audio.srcObject = new MediaStream([transceiver.receiver.track]);
      this.video.after(audio);
      return audio;
    });
    this.followVolume();
    pc.addEventListener("icecandidate", (event) => {
      if (event.candidate && this.pc === pc) this.send({ type: "rtc.ice", candidate: event.candidate.toJSON() });
    });
    pc.addEventListener("connectionstatechange", () => this.connectionChanged(pc));
    this.onStatus("loading");
    this.playing = false;
    this.later(() => { if (this.pc === pc && !this.playing) this.fail("timeout"); }, START_TIMEOUT_MS);
    try {
      await pc.setLocalDescription(await pc.createOffer());
    } catch {
      this.fail("failed");
      return;
    }
    if (this.pc !== pc) return;
    // The m-lines say it all: the video one is the program, the audio ones the voices.
    if (!this.send({ type: "rtc.offer", sdp: pc.localDescription.sdp })) this.fail("failed");
  }

  // A message from the watch socket (rtc.*); returns whether it was one.
  async handle(message) {
    const pc = this.pc;
    switch (message.type) {
      case "rtc.answer":
        if (!pc) return true;
        try {
          await pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
        } catch {
          this.fail("failed");
          return true;
        }
        this.play();
        return true;
      case "rtc.tracks": {
        const program = (message.tracks || []).find((track) => track.slot === "program");
        this.showing = Boolean(program && program.peer);
        this.onStatus(this.showing ? (this.playing ? "playing" : "loading") : this.noPicture());
        return true;
      }
      case "rtc.bandwidth":
        // The worker's adaptation to this viewer's link: "audio" means even the
        // program's small picture does not fit now (docs/media.md "Layers").
        this.bandwidth = message.state;
        if (this.showing === false) this.onStatus(this.noPicture());
        return true;
      case "rtc.error":
        if (pc) this.fail(message.code || "failed");
        return true;
      case "rtc.ended":
        this.stop();
        this.onEnded();
        return true;
      default:
        return message.type.startsWith("rtc.");
    }
  }

  noPicture() {
    return this.bandwidth === "audio" ? "weakLink" : "noVideo";
  }

  connectionChanged(pc) {
    if (this.pc !== pc) return;
    if (pc.connectionState === "failed") this.fail("failed");
    if (pc.connectionState === "disconnected") {
      this.onStatus("retrying");
      this.later(() => { if (this.pc === pc && pc.connectionState !== "connected") this.fail("failed"); }, DISCONNECTED_GRACE_MS);
    }
    if (pc.connectionState === "connected" && this.playing) this.onStatus("playing");
  }

  play() {
    const video = this.video;
    const started = video.play();
    if (started && started.catch) started.catch(() => {});
    const onFrame = () => {
      if (!this.pc || this.playing) return;
      this.playing = true;
      this.onStatus("playing");
    };
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(onFrame);
    else video.addEventListener("playing", onFrame, { once: true });
    for (const audio of this.audios) {
      const heard = audio.play();
      if (heard && heard.catch) heard.catch(() => {});
    }
  }

  followVolume() {
    for (const audio of this.audios) {
      audio.muted = this.video.muted;
      audio.volume = this.video.volume;
      if (!audio.muted && audio.paused) {
        const heard = audio.play();
        if (heard && heard.catch) heard.catch(() => {});
      }
    }
  }

  fail(reason) {
    const played = this.playing;
    this.stop();
    this.onFail(reason, { played });
  }

  stop() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    const pc = this.pc;
    this.pc = null;
    this.playing = false;
    if (pc) pc.close();
    for (const audio of this.audios) { audio.srcObject = null; audio.remove(); }
    this.audios = [];
    if (this.video.srcObject) this.video.srcObject = null;
    if (this.video.dataset.mode === "webrtc") delete this.video.dataset.mode;
  }

  later(callback, ms) {
    this.timers.push(setTimeout(callback, ms));
  }
}
