/**
 * The room as this browser knows it, kept from the server's messages.
 * Every update is idempotent (a message may arrive twice around a reconnect),
 * and the chat is merged by id so a reconnect never loses what was shown.
 *
 * Event: "change" (detail: {type, message}) after each applied message.
 */

export class RoomState extends EventTarget {
  constructor() {
    super();
    this.you = null;
    this.room = { locked: false, lobby: false, name: "", slug: "" };
    this.participants = new Map();
    this.lobby = new Map();
    this.hands = [];
    this.chat = new Map();
    this.polls = new Map();
    this.votes = new Map();
    this.files = new Map();
    this.decks = new Map();
    this.slides = null;
    this.iceServers = [];
  }

  get isHost() {
    return this.you?.role === "host";
  }

  get canPresent() {
    return this.isHost || Boolean(this.you?.presenter);
  }

  /** Apply one server message; returns true when it changed the state. */
  apply(message) {
    const handler = HANDLERS[message.type];
    if (!handler) return false;
    handler(this, message);
    this.dispatchEvent(new CustomEvent("change", { detail: { type: message.type, message } }));
    return true;
  }

  /** Chat messages in the order they were sent. */
  chatInOrder() {
    return [...this.chat.values()].sort((a, b) => a.id - b.id);
  }
}

function upsertParticipant(state, participant) {
  state.participants.set(participant.peer, participant);
  if (state.you && participant.peer === state.you.peer) state.you = participant;
}

const HANDLERS = {
  welcome(state, m) {
    state.you = m.you;
    state.room = m.room;
    state.participants = new Map(m.participants.map((p) => [p.peer, p]));
    state.participants.set(m.you.peer, m.you);
    state.lobby = new Map((m.lobby || []).map((p) => [p.peer, p]));
    state.hands = m.hands;
    for (const message of m.chat) state.chat.set(message.id, message);
    // A juror watching a lesson also gets the jury's own chat (marked jury: true).
    for (const message of m.jury_chat || []) state.chat.set(message.id, message);
    state.polls = new Map(m.polls.map((poll) => [poll.id, poll]));
    state.votes = new Map(Object.entries(m.votes || {}).map(([id, choices]) => [Number(id), choices]));
    state.files = new Map(m.files.map((file) => [file.id, file]));
    // The welcome lists the latest files only; files_total counts them all.
    state.filesTotal = Math.max(m.files_total ?? 0, state.files.size);
    state.decks = new Map(m.decks.map((deck) => [deck.id, deck]));
    state.slides = m.slides;
    state.iceServers = m.ice_servers || [];
  },
  "participant.joined"(state, m) {
    upsertParticipant(state, m.participant);
  },
  "participant.updated"(state, m) {
    if (state.participants.has(m.participant.peer)) upsertParticipant(state, m.participant);
  },
  "participant.left"(state, m) {
    state.participants.delete(m.peer);
    state.hands = state.hands.filter((hand) => hand.peer !== m.peer);
  },
  "lobby.entered"(state, m) {
    state.lobby.set(m.participant.peer, m.participant);
  },
  "lobby.left"(state, m) {
    state.lobby.delete(m.peer);
  },
  hands(state, m) {
    state.hands = m.queue;
  },
  "chat.message"(state, m) {
    state.chat.set(m.id, m);
  },
  "poll.opened"(state, m) {
    state.polls.set(m.poll.id, m.poll);
  },
  "poll.results"(state, m) {
    state.polls.set(m.poll.id, m.poll);
  },
  "poll.closed"(state, m) {
    state.polls.set(m.poll.id, m.poll);
  },
  "poll.voted"(state, m) {
    state.votes.set(m.poll, m.choices);
  },
  "file.shared"(state, m) {
    if (!state.files.has(m.file.id)) state.filesTotal = (state.filesTotal || 0) + 1;
    state.files.set(m.file.id, m.file);
  },
  "deck.added"(state, m) {
    state.decks.set(m.deck.id, m.deck);
  },
  "slides.changed"(state, m) {
    state.slides = m.slides;
  },
  "room.updated"(state, m) {
    state.room = { ...state.room, locked: m.locked, lobby: m.lobby };
  },
  "you.muted"() {},
  "meeting.ended"() {},
  removed() {},
};
