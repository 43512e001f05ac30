// The public watch page: the player, the broadcast's state, the viewer count, questions
// and (when a host turns it on) the viewers' chat.
import { Player } from "./player.js";
import { QuestionList, chatItem } from "./qa.js";
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
let state = JSON.parse(document.getElementById("watch-state").textContent);

function showStatus(next) {
  statusBadge.textContent = next.status;
  statusBadge.className = `badge ${next.state === "live" ? "badge-bad" : "badge-muted"}`;
  const archive = document.getElementById("watch-archive");
  if (next.archive) {
    archive.querySelector("a").href = next.archive;
    archive.hidden = false;
  }
}

const player = new Player(video, {
  hlsScript: root.dataset.hlsScript,
  onStatus(what) {
    const text = { loading: t("loading"), unsupported: t("unsupported"), retrying: t("retrying") }[what];
    playerMessage.textContent = text || "";
    playerMessage.hidden = !text;
    if (what === "unsupported" || what === "retrying") announce(text);
  },
  onEnded() {
    state = { ...state, state: "ended", status: t("ended"), playlist: "" };
    showStatus(state);
    playerMessage.textContent = t("ended");
    playerMessage.hidden = false;
    announce(t("ended"));
    poll(); // the archive link, when there is one
  },
});

function apply(next) {
  if (player.ended && next.state === "live") return; // the playlist ended before the state did
  const changed = next.state !== state.state;
  state = next;
  showStatus(next);
  if (next.state === "live" && next.playlist) {
    player.load(next.playlist);
  } else if (next.state !== "live") {
    playerMessage.textContent = next.status;
    playerMessage.hidden = false;
  }
  if (changed) announce(next.status);
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
    switch (message.type) {
      case "hello":
        questions.reset(message.questions);
        chat.hidden = !message.chat.enabled;
        chatList.replaceChildren(...message.chat.messages.map(chatItem));
        showViewers(message.viewers);
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
