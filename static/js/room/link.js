/**
 * How good this page's link is (issue 13): a level from the peer connection's own
 * statistics, read every few seconds, and the signal mark every tile and the people
 * list show. The media worker measures each member's link too (media.quality, the
 * participants' `link`: what the others see); the page's own mark shows the worse of
 * the two (worseLevel), for both can be right: the worker judges the loss before
 * retransmissions repair it and calls a lossy link that is not congested "fair", the
 * page hears what is left after the repairs. It also notices video slots whose frames stopped (the worker
 * paused them on a weak link), so the stage can show the person's name instead of a
 * frozen picture (by the id of the slot's track).
 *
 *   const meter = new LinkMeter(() => media.pc);
 *   meter.addEventListener("level", ({ detail }) => show(detail.level));  // + loss, rttMs, kbps
 *   meter.addEventListener("paused", ({ detail }) => stage.setPaused(detail.tracks));
 *   meter.start(); … meter.stop();
 */

import { h } from "./dom.js";

export const LEVELS = ["good", "fair", "poor"];
export const SAMPLE_EVERY_MS = 2000;
// A teacher on mobile data (500 kbit/s, 1–5 % loss, 300 ms) is "fair": Opus with FEC
// carries speech well there. "poor" is where speech breaks up and video stalls.
export const THRESHOLDS = {
  poor: { loss: 0.05, rttMs: 450, concealed: 0.1 },
  fair: { loss: 0.02, rttMs: 250, concealed: 0.03 },
};
const STALLED_SAMPLES = 2; // a slot whose frames stopped for this many samples is paused

/** The level of a link: loss and concealed are fractions (0..1), null when unknown. */
export function linkLevel({ loss = null, rttMs = null, concealed = null } = {}) {
  const over = (limits) =>
    (loss !== null && loss >= limits.loss) ||
    (rttMs !== null && rttMs >= limits.rttMs) ||
    (concealed !== null && concealed >= limits.concealed);
  if (over(THRESHOLDS.poor)) return "poor";
  if (over(THRESHOLDS.fair)) return "fair";
  return "good";
}

/** The worse of two levels ("" is unknown: the other one). */
export function worseLevel(a, b) {
  return LEVELS.indexOf(a) >= LEVELS.indexOf(b) ? a : b;
}

/** Totals of one getStats() report: what the next sample's differences are taken from. */
export function readStats(report) {
  const totals = { lost: 0, received: 0, concealed: 0, samples: 0, bytes: 0, rttMs: null, frames: new Map() };
  report.forEach((entry) => {
    if (entry.type === "inbound-rtp") {
      totals.lost += Math.max(0, entry.packetsLost || 0);
      totals.received += entry.packetsReceived || 0;
      totals.bytes += entry.bytesReceived || 0;
      if (entry.kind === "audio") {
        // Silence filled in (DTX, nobody speaking) is not a breakup anyone hears.
        totals.concealed += Math.max(0, (entry.concealedSamples || 0) - (entry.silentConcealedSamples || 0));
        totals.samples += entry.totalSamplesReceived || 0;
      } else if (entry.trackIdentifier) {
        totals.frames.set(entry.trackIdentifier, entry.framesDecoded || 0);
      }
    } else if (entry.type === "candidate-pair" && entry.nominated && entry.state === "succeeded") {
      if (typeof entry.currentRoundTripTime === "number") totals.rttMs = Math.round(entry.currentRoundTripTime * 1000);
    }
  });
  return totals;
}

/** What changed between two samples: loss, concealment, bitrate over `ms`. */
export function compare(before, now, ms) {
  const lost = now.lost - before.lost;
  const packets = lost + (now.received - before.received);
  const samples = now.samples - before.samples;
  return {
    loss: packets > 0 ? Math.max(0, lost) / packets : null,
    concealed: samples > 0 ? Math.max(0, now.concealed - before.concealed) / samples : null,
    rttMs: now.rttMs,
    kbps: ms > 0 ? Math.max(0, Math.round(((now.bytes - before.bytes) * 8) / ms)) : null,
  };
}

export class LinkMeter extends EventTarget {
  constructor(getPeerConnection, { everyMs = SAMPLE_EVERY_MS } = {}) {
    super();
    this.getPeerConnection = getPeerConnection;
    this.everyMs = everyMs;
    this.timer = 0;
    this.last = null; // {pc, at, totals}
    this.stalled = new Map(); // track id -> samples without a new frame
    this.paused = new Set();
  }

  start() {
    if (this.timer) return;
    this.timer = window.setInterval(() => this.sample().catch(() => {}), this.everyMs);
  }

  stop() {
    window.clearInterval(this.timer);
    this.timer = 0;
    this.last = null;
  }

  async sample() {
    const pc = this.getPeerConnection();
    if (!pc || pc.connectionState !== "connected") return;
    const totals = readStats(await pc.getStats());
    const at = performance.now();
    const before = this.last && this.last.pc === pc ? this.last : null; // a new connection starts afresh
    this.last = { pc, at, totals };
    if (!before) return;
    const figures = compare(before.totals, totals, at - before.at);
    this.#emit("level", { level: linkLevel(figures), ...figures });
    this.#stalls(before.totals.frames, totals.frames);
  }

  #stalls(before, now) {
    for (const id of [...this.stalled.keys()]) if (!now.has(id)) this.stalled.delete(id);
    for (const [id, frames] of now) {
      // Empty slots stall too; the stage looks only at the tracks of its tiles.
      const moving = !before.has(id) || frames > before.get(id);
      this.stalled.set(id, moving ? 0 : (this.stalled.get(id) || 0) + 1);
    }
    const paused = new Set([...this.stalled].filter(([, count]) => count >= STALLED_SAMPLES).map(([id]) => id));
    const same = paused.size === this.paused.size && [...paused].every((id) => this.paused.has(id));
    if (same) return;
    this.paused = paused;
    this.#emit("paused", { tracks: paused });
  }

  #emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}

/** The signal mark: three bars, as many lit as the link is good; "" (unknown) shows none. */
export function linkMark(level, t) {
  const mark = h(
    "span",
    { class: "link-mark", role: "img", dataset: { level: level || "" } },
    h("span", { class: "link-bar" }),
    h("span", { class: "link-bar" }),
    h("span", { class: "link-bar" }),
  );
  updateLinkMark(mark, level, t);
  return mark;
}

/** Show another level on a mark made by linkMark. */
export function updateLinkMark(mark, level, t) {
  const known = LEVELS.includes(level);
  mark.dataset.level = known ? level : "";
  mark.hidden = !known;
  const text = known ? t(`link-${level}`) : "";
  mark.setAttribute("aria-label", text);
  mark.title = text;
}
