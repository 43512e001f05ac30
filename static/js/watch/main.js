// The public watch page: the player, the broadcast's state, the viewer count, questions
// and (when a host turns it on) the viewers' chat.
//
// Two ways to watch: low delay over WebRTC (rtc.js, through the watch socket; the
// default) and the steady HLS stream (player.js). The viewer chooses; the choice is
// remembered. When WebRTC cannot start (no seat left on the media worker, a network
// that blocks it, a browser without it) the page plays HLS and says why.
import { Player } from "./player.js";
import { QuestionList, chatItem } from "./qa.js";
import { RtcPlayer } from "./rtc.js";
import { WatchSocket } from "./socket.js";
import { announce, t } from "./strings.js";

const POLL_WAITING_MS = 10000;
const POLL_LIVE_MS = 30000;
const CHAT_SHOWN = 100;

const root = document.getElementById("watch");
const video = document.getElementById("watch-video");
const statusBadge = document.getElementById("watch-status");
const playerMessage = document.getElementById("watch-player-message");
const viewers = document.getElementById("watch-viewers");
const modeNote = document.getElementById("watch-mode-note");
let state = JSON.parse(document.getElementById("watch-state").textContent);
const MODE_KEY = "meet.watch.mode";
const HELLO_WAIT_MS = 5000; // no watch socket by then: HLS needs none
let preferred = readPreference(); // "webrtc" | "hls"
let fellBack = ""; // why WebRTC gave way to HLS for this broadcast
let iceServers = null; // from the socket's hello: WebRTC can start once it came
const RTC_RETRIES = 2;
const RTC_RETRY_MS = 2000;
let rtcRetries = 0;
let endedPlaylist = ""; // the HLS playlist that reached its end (#EXT-X-ENDLIST)

function readPreference() {
  try { return localStorage.getItem(MODE_KEY) === "hls" ? "hls" : "webrtc"; } catch { return "webrtc"; }
}

function showStatus(next) {
  statusBadge.textContent = next.status;
  statusBadge.className = `badge ${next.state === "live" ? "badge-bad" : "badge-muted"}`;
  const archive = document.getElementById("watch-archive");
  if (next.archive) {
    archive.querySelector("a").href = next.archive;
    archive.hidden = false;
  }
}

function showPlayerStatus(what) {
  const text = {
    loading: t("loading"), unsupported: t("unsupported"), retrying: t("retrying"), noVideo: t("noVideo"),
    weakLink: t("weakLink"),
  }[what];
  playerMessage.textContent = text || "";
  playerMessage.hidden = !text;
  if (what === "unsupported" || what === "retrying") announce(text);
}

const player = new Player(video, {
  hlsScript: root.dataset.hlsScript,
  onStatus: showPlayerStatus,
  onEnded() {
    endedPlaylist = state.playlist;
    state = { ...state, state: "ended", status: t("ended"), playlist: "" };
    showStatus(state);
    playerMessage.textContent = t("ended");
    playerMessage.hidden = false;
    announce(t("ended"));
    poll(); // the archive link, when there is one
  },
});

const rtc = new RtcPlayer(video, {
  send: (message) => socket.send(message),
  onStatus(what) {
    showPlayerStatus(what);
    if (what === "playing") { showMode("webrtc"); rtcRetries = 0; }
  },
  onFail(reason, { played }) {
    // A connection that worked and then broke (a worker restart, a network change)
    // gets two more tries before HLS takes over.
    if (played && reason === "failed" && rtcRetries < RTC_RETRIES) {
      rtcRetries += 1;
      setTimeout(watch, RTC_RETRY_MS);
      return;
    }
    fellBack = reason;
    watch();
  },
  onEnded() {
    poll(); // ended, or a new broadcast recording of the same session
  },
});

// The note under the player: how the viewer is watching and, after a fallback, why.
function showMode(mode) {
  const why = { full: t("rtcFull"), timeout: t("rtcFailed"), failed: t("rtcFailed"), unsupported: t("rtcUnsupported") }[fellBack];
  const text = mode === "webrtc" ? t("watchingRtc") : (why || t("watchingHls"));
  if (modeNote.textContent !== text) {
    modeNote.textContent = text;
    if (why) announce(text);
  }
}

// Start (or keep) the way of watching that fits the preference and what happened so far.
let helloTimer = null;
function watch() {
  if (state.state !== "live" || !state.playlist) return;
  if (preferred === "webrtc" && !fellBack && !RtcPlayer.supported) fellBack = "unsupported";
  if (preferred === "webrtc" && !fellBack) {
    if (rtc.active) return;
    if (iceServers === null) { // the socket is not up yet: give it a moment, then HLS
      clearTimeout(helloTimer);
      helloTimer = setTimeout(() => { if (iceServers === null && !rtc.active) { fellBack = "failed"; watch(); } }, HELLO_WAIT_MS);
      return;
    }
    player.unload();
    rtc.start(iceServers);
    return;
  }
  rtc.stop();
  player.load(state.playlist);
  showMode("hls");
}

function apply(next) {
  // The playlist ended before the state caught up: stay ended (a new recording is not).
  if (next.state === "live" && next.playlist && next.playlist === endedPlaylist) return;
  const changed = next.state !== state.state;
  const newRecording = next.playlist && next.playlist !== state.playlist;
  state = next;
  showStatus(next);
  if (next.state === "live" && next.playlist) {
    if (newRecording) { fellBack = ""; rtc.stop(); }
    watch();
  } else if (next.state !== "live") {
    rtc.stop();
    playerMessage.textContent = next.status;
    playerMessage.hidden = false;
    modeNote.textContent = "";
  }
  if (changed) announce(next.status);
}

// The viewer's choice of how to watch, remembered for the next broadcast.
for (const input of document.querySelectorAll('input[name="watch-mode"]')) {
  input.checked = input.value === preferred;
  input.addEventListener("change", () => {
    if (!input.checked) return;
    preferred = input.value;
    try { localStorage.setItem(MODE_KEY, preferred); } catch { /* private mode */ }
    fellBack = "";
    if (preferred === "hls") rtc.stop(); else player.unload();
    watch();
  });
}

let pollTimer = null;
async function poll() {
  clearTimeout(pollTimer);
  try {
    const response = await fetch(root.dataset.stateUrl, { headers: { Accept: "application/json" } });
    if (response.ok) apply(await response.json());
  } catch { /* offline: try again later */ }
  if (state.state === "ended" && state.archive) return;
  pollTimer = setTimeout(poll, state.state === "live" ? POLL_LIVE_MS : POLL_WAITING_MS);
}

// Sound: autoplay needs the video muted; one labelled button turns the sound on.
const sound = document.getElementById("watch-sound");
function showSound() {
  sound.textContent = video.muted ? t("unmute") : t("mute");
  sound.setAttribute("aria-pressed", String(!video.muted));
}
sound.addEventListener("click", () => { video.muted = !video.muted; showSound(); player.play(); });
video.addEventListener("volumechange", showSound);

// Questions and chat.
const questions = new QuestionList(document.getElementById("qa-list"), document.getElementById("qa-empty"));
const chat = document.getElementById("chat");
const chatList = document.getElementById("chat-list");
const qaFeedback = document.getElementById("qa-feedback");
const chatFeedback = document.getElementById("chat-feedback");
let lastFeedback = qaFeedback;

function addChat(message) {
  chatList.append(chatItem(message));
  while (chatList.children.length > CHAT_SHOWN) chatList.firstElementChild.remove();
}

const socket = new WatchSocket(root.dataset.wsPath, {
  onMessage(message) {
    if (message.type.startsWith("rtc.")) { rtc.handle(message); return; }
    switch (message.type) {
      case "hello":
        iceServers = message.ice_servers || [];
        // A new socket is a new viewer on the media worker: offer again.
        if (rtc.active) rtc.stop();
        watch();
        questions.reset(message.questions);
        chat.hidden = !message.chat.enabled;
        chatList.replaceChildren(...message.chat.messages.map(chatItem));
        showViewers(message.viewers);
        break;
      case "media.moved":
        // The broadcast's media worker died: offer again, to the worker it moved to.
        if (rtc.active) { rtc.stop(); watch(); }
        break;
      case "viewers": showViewers(message.count); break;
      case "qa.question": questions.upsert(message.question); break;
      case "qa.removed": questions.remove(message.id); break;
      case "qa.asked":
        qaFeedback.textContent = t("asked");
        document.getElementById("qa-text").value = "";
        break;
      case "chat.message": addChat(message.message); break;
      case "chat.state":
        chat.hidden = !message.enabled;
        announce(message.enabled ? t("chatOn") : t("chatOff"));
        break;
      case "error": lastFeedback.textContent = message.message; break;
      default: break;
    }
  },
});

function showViewers(count) {
  viewers.textContent = t("viewers", { count });
  viewers.hidden = false;
}

function name() {
  return document.getElementById("qa-name").value;
}

document.getElementById("qa-form").addEventListener("submit", (event) => {
  event.preventDefault();
  lastFeedback = qaFeedback;
  const text = document.getElementById("qa-text").value;
  qaFeedback.textContent = "";
  if (!socket.send({ type: "qa.ask", text, name: name() })) qaFeedback.textContent = t("disconnected");
});

document.getElementById("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  lastFeedback = chatFeedback;
  const input = document.getElementById("chat-text");
  chatFeedback.textContent = "";
  if (socket.send({ type: "chat.send", text: input.value, name: name() })) input.value = "";
  else chatFeedback.textContent = t("disconnected");
});

showSound();
apply(state);
poll();
