// Plays the live HLS program: hls.js where Media Source Extensions exist, else the
// browser's own HLS (Safari, iOS), else a clear message. Reports "ended" when the
// playlist gets its ENDLIST tag (hls.js) or the video ends (native).
const HLS_TYPE = "application/vnd.apple.mpegurl";
const RETRY_MS = 3000;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    if (window.Hls) { resolve(window.Hls); return; }
    const script = document.createElement("script");
    script.src = src;
    script.onload = () => resolve(window.Hls);
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

export class Player {
  constructor(video, { hlsScript, onStatus, onEnded }) {
    this.video = video;
    this.hlsScript = hlsScript;
    this.onStatus = onStatus;
    this.onEnded = onEnded;
    this.url = "";
    this.hls = null;
    this.ended = false;
    video.addEventListener("ended", () => { if (this.url) this.finish(); }); // not WebRTC's
    video.addEventListener("playing", () => this.onStatus("playing"));
  }

  async load(url) {
    if (!url || url === this.url) return;
    this.url = url;
    this.ended = false;
    this.video.dataset.mode = "hls";
    this.onStatus("loading");
    const Hls = this.hlsScript ? await loadScript(this.hlsScript).catch(() => null) : null;
    if (this.url !== url) return; // unloaded (WebRTC chosen) while the script loaded
    if (Hls && Hls.isSupported()) {
      this.attachHls(Hls, url);
    } else if (this.video.canPlayType(HLS_TYPE)) {
      this.video.src = url;
      this.play();
    } else {
      this.onStatus("unsupported");
    }
  }

  attachHls(Hls, url) {
    // Two 1-second segments behind the live edge: ~2.5 s glass to glass (bench/hls.py:
    // a segment is listed ~1.5 s after its first frame was sent); hls.js's default of
    // three adds a second with no gain on a steady network.
    const hls = new Hls({ lowLatencyMode: true, liveSyncDurationCount: 2, manifestLoadingMaxRetry: 6 });
    this.hls = hls;
    hls.on(Hls.Events.LEVEL_LOADED, (_event, data) => {
      if (data.details && data.details.live === false) this.finish();
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => this.play());
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      this.onStatus("retrying");
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        // The playlist may not exist yet, or the network dropped: try again shortly.
        setTimeout(() => { if (this.hls === hls && !this.ended) hls.loadSource(url); }, RETRY_MS);
      }
    });
    hls.loadSource(url);
    hls.attachMedia(this.video);
  }

  // Stop playing and forget the playlist (the viewer switched to WebRTC).
  unload() {
    if (this.hls) { this.hls.destroy(); this.hls = null; }
    if (this.url && !this.hls) {
      this.video.removeAttribute("src");
      this.video.load();
    }
    this.url = "";
    if (this.video.dataset.mode === "hls") delete this.video.dataset.mode;
  }

  play() {
    const started = this.video.play();
    if (started && started.catch) started.catch(() => {});
  }

  finish() {
    if (this.ended) return;
    this.ended = true;
    this.onEnded();
  }
}
