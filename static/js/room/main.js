/**
 * The live room page (signaling/templates/signaling/live_room.html): pre-join
 * check, lobby, the room (chat, people, hands, polls, files, slides, video) and
 * the page after leaving. Server messages go into RoomState; the panels render
 * from it. All interface text comes from the page's #live-messages template.
 */

import { AlertList } from "./alerts.js";
import { ChatPanel } from "./chat.js";
import { CLOSE, RoomConnection } from "./connection.js";
import { LocalDevices, fillSelect } from "./devices.js";
import { role } from "./dom.js";
import { FilesPanel } from "./files.js";
import { loadMessages, makeTranslator } from "./i18n.js";
import { MediaBridge } from "./media-bridge.js";
import { isObserver, observe } from "./observer.js";
import { PeoplePanel } from "./people.js";
import { PollsPanel } from "./polls.js";
import { RecordingControl } from "./recording.js";
import { SlidesView } from "./slides.js";
import { Stage } from "./stage.js";
import { RoomState } from "./state.js";
import { WeakMode } from "./weak.js";

const ANNOUNCE_JOINS_UP_TO = 30;
const MUTE_ECHO_MS = 3000; // bigger rooms: joins and leaves are not read out

const root = document.getElementById("live");
if (root) boot(root);

function boot(root) {
  const lang = document.documentElement.lang || "vi";
  const t = makeTranslator(loadMessages(document));
  const data = root.dataset;
  const config = {
    slug: data.slug,
    filesUrl: data.filesUrl,
    slidesUrl: data.slidesUrl,
    roomUrl: data.roomUrl,
    fileMaxBytes: Number(data.fileMaxBytes),
    slidesMaxBytes: Number(data.slidesMaxBytes),
    lastN: Number(data.lastN) || 9,
  };
  const state = new RoomState();
  const connection = new RoomConnection({ tokenUrl: data.tokenUrl, wsPath: data.wsPath, slug: data.slug });
  const devices = new LocalDevices();
  const send = (message) => {
    const sent = connection.send(message);
    if (!sent) showAlert(t("not-connected"));
    return sent;
  };

  // -- views, captions, alerts ------------------------------------------------------
  const views = Object.fromEntries(
    [...root.querySelectorAll("[data-view]")].map((element) => [element.dataset.view, element]),
  );
  function show(name) {
    for (const [key, element] of Object.entries(views)) {
      if (key !== "settings") element.hidden = key !== name;
    }
    if (views.settings) views.settings.hidden = name !== "prejoin";
  }
  const announcer = document.getElementById("live-announcer");
  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(() => {
      announcer.textContent = text;
    }, 60);
  }
  const alerts = new AlertList(role(root, "alert"));
  const showAlert = (text) => alerts.show(text);
  const connectionBadge = role(root, "connection");
  function setConnection(key, badge) {
    connectionBadge.textContent = t(key);
    connectionBadge.className = `badge ${badge}`;
  }

  // -- panels -----------------------------------------------------------------------
  const tabs = [...root.querySelectorAll("[data-panel]")];
  const unread = role(root, "chat-unread");
  let unreadCount = 0;
  function openPanel(name) {
    for (const tab of tabs) {
      const open = tab.dataset.panel === name;
      tab.setAttribute("aria-expanded", String(open));
      root.querySelector(`[data-panel-body="${tab.dataset.panel}"]`).hidden = !open;
    }
    if (name === "chat") {
      unreadCount = 0;
      unread.hidden = true;
    }
  }
  for (const tab of tabs) tab.addEventListener("click", () => openPanel(tab.dataset.panel));
  const chatOpen = () => !root.querySelector('[data-panel-body="chat"]').hidden;

  new ChatPanel(root.querySelector('[data-panel-body="chat"]'), {
    state,
    send,
    t,
    lang,
    isVisible: chatOpen,
    jury: isObserver(root),
    onUnread: () => {
      unreadCount += 1;
      unread.textContent = String(unreadCount);
      unread.hidden = false;
    },
  });
  const countText = role(root, "count");
  const peopleCount = role(root, "people-count");
  new PeoplePanel(root.querySelector('[data-panel-body="people"]'), {
    state,
    send,
    t,
    onCount: (count) => {
      countText.textContent = t("people-count", { count });
      peopleCount.textContent = `(${count})`;
    },
  });
  new PollsPanel(root.querySelector('[data-panel-body="polls"]'), { state, send, t, lang, announce });
  new FilesPanel(root.querySelector('[data-panel-body="files"]'), { state, send, t, lang, config, announce });
  new SlidesView(role(root, "slides"), { state, send, t, announce });
  const stage = new Stage(root.querySelector(".live-stage"), { state, t, lastN: config.lastN });
  // Weak-connection mode, listen-only and the link's quality (issue 13): weak.js.
  const weak = new WeakMode(root, {
    t,
    stage,
    announce,
    showAlert,
    devices,
    changed: () => {
      updateControls();
      reportMedia();
    },
  });

  // -- media ------------------------------------------------------------------------
  // Before joining, LocalDevices previews the camera and microphone. In the room the
  // media module (media.js through media-bridge.js) owns them; if it cannot run here,
  // LocalDevices keeps them and everything but video and sound still works.
  let media = null;
  const local = () =>
    media
      ? { mic: media.mic, camera: media.camera, screen: media.screen }
      : { mic: Boolean(devices.audio), camera: Boolean(devices.video), screen: false };
  function reportMedia() {
    const now = local();
    send({ type: "media.state", audio: now.mic, video: now.camera, screen: now.screen, listen: weak.listen });
  }
  async function startMedia() {
    const choice = devices.choice;
    const micOn = Boolean(devices.audio);
    const cameraOn = Boolean(devices.video);
    devices.stop(); // hand the devices over
    const bridge = new MediaBridge({
      send: (message) => connection.send(message),
      iceServers: state.iceServers,
      lastN: config.lastN,
      broadcast: data.broadcastSlot === "1",
    });
    weak.attach(bridge);
    bridge.addEventListener("slots", (event) => stage.setSlots(event.detail));
    stage.onLarge = (peers) => bridge.setLarge(peers);
    bridge.addEventListener("speaker", (event) => stage.setSpeaker(event.detail?.peer || null));
    bridge.addEventListener("muted", (event) => mutedByHost(event.detail?.source, ""));
    bridge.addEventListener("state", (event) => {
      if (event.detail?.state === "failed") showAlert(t("media-failed"));
      // Media lost the network: is the socket gone too? (Then it reconnects at once.)
      if (event.detail?.state === "reconnecting") connection.check();
    });
    bridge.addEventListener("local", (event) => {
      stage.setLocal(event.detail.video);
      updateControls();
      reportMedia();
    });
    media = bridge;
    const started = await bridge.start({
      mic: micOn,
      camera: cameraOn,
      audioDevice: choice.microphone,
      videoDevice: choice.camera,
      receiveVideo: weak.receiveVideo,
    });
    if (!started) {
      media = null;
      showAlert(t("media-unavailable"));
      if (micOn) await devices.setMicrophone(true);
      if (cameraOn) await devices.setCamera(true);
      reportMedia();
    }
  }
  devices.addEventListener("tracks", (event) => {
    if (!media) stage.setLocal(event.detail.video);
    updateControls();
  });

  // -- controls -----------------------------------------------------------------------
  const buttons = Object.fromEntries(
    [...root.querySelectorAll(".live-controls [data-action], [data-role='host-controls'] [data-action]")].map((b) => [
      b.dataset.action,
      b,
    ]),
  );
  function press(button, on, onKey, offKey) {
    if (!button) return;
    button.setAttribute("aria-pressed", String(on));
    if (onKey) button.textContent = t(on ? onKey : offKey);
  }
  const recording = new RecordingControl({
    badge: role(root, "recording-badge"),
    button: buttons.record || null,
    url: data.recordingsUrl,
    broadcastSlot: data.broadcastSlot === "1",
    t,
    announce: (text) => announce(text),
    alert: (text) => showAlert(text),
  });
  function updateControls() {
    const now = local();
    press(buttons.mic, now.mic, "mic-button-on", "mic-button-off");
    press(buttons.camera, now.camera, "camera-button-on", "camera-button-off");
    press(buttons.screen, now.screen, "screen-button-on", "screen-button-off");
    press(buttons.hand, Boolean(state.you?.hand), "hand-button-on", "hand-button-off");
    role(root, "host-controls").hidden = !state.isHost;
    press(buttons.lock, state.room.locked, "unlock", "lock");
    press(buttons.lobby, state.room.lobby, "lobby-off", "lobby-on");
    role(root, "locked-badge").hidden = !state.room.locked;
  }
  if (!navigator.mediaDevices?.getDisplayMedia) buttons.screen.hidden = true;

  async function mutedByHost(source, by) {
    const camera = source === "camera";
    if (media) {
      if (camera ? media.camera : media.mic) await (camera ? media.setCamera(false) : media.setMic(false));
    } else if (camera) await devices.setCamera(false);
    else await devices.setMicrophone(false);
    updateControls();
    reportMedia();
    // The server (with the host's name) and the media worker both say so: tell once.
    const now = Date.now();
    if (!by && lastMuted.source === source && now - lastMuted.at < MUTE_ECHO_MS) return;
    lastMuted = { source, at: now };
    const key = camera ? "you-camera-stopped" : "you-muted";
    const text = by ? t(`${key}-by`, { name: by }) : t(key);
    announce(text);
    showAlert(text);
  }
  let lastMuted = { source: "", at: 0 };

  const actions = {
    async mic() {
      const want = !local().mic;
      try {
        if (media) await media.setMic(want);
        else await devices.setMicrophone(want);
      } catch {
        /* reported below */
      }
      const on = local().mic;
      if (want && !on) showAlert(t("mic-problem"));
      updateControls();
      reportMedia();
      announce(t(on ? "mic-now-on" : "mic-now-off"));
    },
    async camera() {
      const want = !local().camera;
      try {
        if (media) await media.setCamera(want);
        else await devices.setCamera(want);
      } catch {
        /* reported below */
      }
      const on = local().camera;
      if (want && !on) showAlert(t("camera-problem"));
      updateControls();
      reportMedia();
      announce(t(on ? "camera-now-on" : "camera-now-off"));
    },
    async screen() {
      if (!media) {
        showAlert(t("media-unavailable"));
        return;
      }
      try {
        if (media.screen) await media.stopScreen();
        else await media.startScreen();
      } catch {
        showAlert(t("screen-problem"));
      }
      updateControls();
      reportMedia();
      announce(t(media.screen ? "screen-now-on" : "screen-now-off"));
    },
    hand() {
      send({ type: state.you?.hand ? "hand.lower" : "hand.raise" });
    },
    devices() {
      const panel = document.getElementById("live-devices");
      panel.hidden = !panel.hidden;
      buttons.devices.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) listDevices(role(root, "room-camera-select"), role(root, "room-mic-select"));
    },
    leave() {
      leave("left-title", "left-message");
    },
    "mute-all"() {
      if (window.confirm(t("confirm-mute-all"))) send({ type: "mod.mute_all" });
    },
    lock() {
      send({ type: "mod.lock", locked: !state.room.locked });
    },
    lobby() {
      send({ type: "mod.lobby", enabled: !state.room.lobby });
    },
    end() {
      if (window.confirm(t("confirm-end"))) send({ type: "mod.end" });
    },
    record() {
      recording.toggle();
    },
  };
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button || !actions[button.dataset.action]) return;
    if (button.closest("[data-role='slides']")) return;
    actions[button.dataset.action]();
  });

  function leave(titleKey, messageKey, values = {}) {
    connection.close();
    if (media) media.close();
    media = null;
    weak.stop();
    devices.stop();
    role(root, "left-title").textContent = t(titleKey);
    role(root, "left-message").textContent = messageKey ? t(messageKey, values) : "";
    setConnection("status-left", "badge-muted");
    show("left");
    document.title = `${t(titleKey)} · meet`;
    role(root, "left-title").focus?.();
  }

  // -- devices before joining -----------------------------------------------------------
  async function listDevices(cameraSelect, micSelect) {
    const { cameras, microphones } = await devices.list();
    fillSelect(cameraSelect, cameras, devices.choice.camera, (n) => t("camera-n", { number: n }));
    fillSelect(micSelect, microphones, devices.choice.microphone, (n) => t("mic-n", { number: n }));
  }
  for (const [selector, kind] of [
    ["camera-select", "video"],
    ["mic-select", "audio"],
    ["room-camera-select", "video"],
    ["room-mic-select", "audio"],
  ]) {
    role(root, selector).addEventListener("change", async (event) => {
      if (media) {
        await devices.use(kind, event.target.value, { start: false });
        await media.use(kind, event.target.value).catch(() => showAlert(t(`${kind === "video" ? "camera" : "mic"}-problem`)));
      } else {
        await devices.use(kind, event.target.value);
        refreshPreview();
      }
    });
  }
  const preview = role(root, "preview");
  const meter = role(root, "mic-meter");
  const deviceMessage = role(root, "device-message");
  function refreshPreview() {
    // Listen-only shows its own line instead of the devices (weak.js).
    if (weak.listen) deviceMessage.textContent = "";
    else if (devices.audio && devices.video) deviceMessage.textContent = t("devices-ok");
    preview.srcObject = devices.previewStream();
    devices.startMeter(meter);
    press(root.querySelector("[data-action='prejoin-camera']"), Boolean(devices.video), "camera-button-on", "camera-button-off");
    press(root.querySelector("[data-action='prejoin-mic']"), Boolean(devices.audio), "mic-button-on", "mic-button-off");
  }
  root.querySelector("[data-action='prejoin-camera']").addEventListener("click", async () => {
    await devices.setCamera(!devices.video);
    refreshPreview();
  });
  root.querySelector("[data-action='prejoin-mic']").addEventListener("click", async () => {
    await devices.setMicrophone(!devices.audio);
    refreshPreview();
  });

  async function prejoin() {
    show("prejoin");
    if (!devices.supported) deviceMessage.textContent = t("devices-unsupported");
    if (isObserver(root)) {
      weak.watchLesson();
      observe(root, devices);
    }
    weak.prepare(devices);
    weak.bindPrejoin(devices, refreshPreview);
    const problem = await devices.start();
    if (problem) deviceMessage.textContent = t(`device-${problem.name === "NotAllowedError" ? "denied" : "missing"}-${problem.kind}`);
    else if (devices.supported && !weak.listen && !isObserver(root)) deviceMessage.textContent = t("devices-ok");
    refreshPreview();
    await listDevices(role(root, "camera-select"), role(root, "mic-select"));
    if (data.autojoin === "1") join();
  }

  // -- the session ----------------------------------------------------------------------
  let joinedOnce = false;
  function join() {
    devices.stopMeter();
    setConnection("status-connecting", "badge-info");
    connection.connect();
  }

  connection.addEventListener("reconnecting", () => {
    setConnection("status-reconnecting", "badge-warn");
    if (joinedOnce) announce(t("status-reconnecting"));
  });
  connection.addEventListener("closed", (event) => {
    const { code, error } = event.detail;
    const reason = error?.code || "";
    if (code === CLOSE.ENDED || reason === "ended") leave("ended-title", "ended-message");
    else if (reason === "removed") leave("removed-title", "removed-message");
    else if (reason === "denied") leave("denied-title", "denied-message");
    else if (code === CLOSE.REPLACED) leave("replaced-title", "replaced-message");
    else {
      leave("refused-title", null);
      role(root, "left-message").textContent = error?.message || t("refused-message");
    }
  });
  connection.addEventListener("message", (event) => onMessage(event.detail));

  function onMessage(message) {
    const type = message.type;
    if (type.startsWith("rtc.")) {
      if (media) media.handle(message);
      return;
    }
    switch (type) {
      case "welcome":
        state.apply(message);
        onWelcome();
        return;
      case "lobby.waiting":
        show("lobby");
        setConnection("status-lobby", "badge-warn");
        announce(t("lobby-waiting"));
        return;
      case "error":
        if (message.for) showAlert(message.message);
        return;
      case "you.muted":
        mutedByHost(message.source, message.by);
        return;
      case "media.connection":
        if (message.state === "failed") showAlert(t("media-failed"));
        return;
      case "media.quality":
        weak.workerSaid(message);
        return;
      case "media.recording":
        recording.update(message);
        return;
      case "media.moved":
        // The room's media worker died and the room moved to another one: connect there
        // now, with a new offer (the same restart as when the socket comes back).
        if (media) media.restart();
        return;
      case "meeting.ended":
        return; // the close that follows shows it
      default:
        caption(message);
        state.apply(message);
        if (["participant.updated", "room.updated", "hands"].includes(type)) updateControls();
    }
  }

  async function onWelcome() {
    show("room");
    setConnection("status-connected", "badge-ok");
    updateControls();
    reportMedia();
    if (!joinedOnce) {
      joinedOnce = true;
      announce(t("joined", { room: state.room.name, count: state.participants.size }));
      root.querySelector("#chat-text")?.focus();
      await startMedia();
    } else {
      announce(t("reconnected"));
      // The worker may have dropped our peer connection while the socket was away.
      if (media) await media.restart();
      reportMedia();
    }
  }

  function caption(message) {
    const small = state.participants.size <= ANNOUNCE_JOINS_UP_TO;
    const name = (peer) => state.participants.get(peer)?.name || state.lobby.get(peer)?.name || "";
    switch (message.type) {
      case "participant.joined":
        if (small && !state.participants.has(message.participant.peer)) {
          announce(t("someone-joined", { name: message.participant.name }));
        }
        break;
      case "participant.left":
        if (small && state.participants.has(message.peer)) announce(t("someone-left", { name: name(message.peer) }));
        break;
      case "lobby.entered":
        if (!state.lobby.has(message.participant.peer)) {
          announce(t("someone-waiting", { name: message.participant.name }));
          showAlert(t("someone-waiting", { name: message.participant.name }));
        }
        break;
      case "hands": {
        const before = new Set(state.hands.map((hand) => hand.peer));
        for (const hand of message.queue) {
          if (!before.has(hand.peer)) announce(t("hand-raised", { name: hand.name }));
        }
        break;
      }
      case "participant.updated": {
        const old = state.participants.get(message.participant.peer);
        if (state.you && message.participant.peer === state.you.peer && old && old.presenter !== message.participant.presenter) {
          announce(t(message.participant.presenter ? "you-presenter" : "you-not-presenter"));
        }
        break;
      }
      case "room.updated":
        if (message.locked !== state.room.locked) announce(t(message.locked ? "room-locked" : "room-unlocked"));
        if (message.lobby !== state.room.lobby) announce(t(message.lobby ? "lobby-now-on" : "lobby-now-off"));
        break;
      default:
    }
  }

  window.addEventListener("pagehide", () => {
    connection.goodbye(); // closing the page is leaving: the server holds no seat for it
    if (media) media.close();
  });
  prejoin();
}
