/**
 * Recording in the live room: the indicator everybody sees ("media.recording" from
 * the media worker, also sent on join while a recording runs) and the host's
 * Record / Stop button, which asks the server (archive/portal/recording_views.py)
 * to start or stop. The worker, not this page, decides what is being recorded.
 */

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class RecordingControl {
  /**
   * @param {object} options
   * @param {HTMLElement} options.badge   the indicator (hidden while not recording)
   * @param {HTMLButtonElement|null} options.button  the host's Record button
   * @param {string} options.url  the room's recordings address ("/<slug>/recordings/")
   * @param {boolean} options.broadcastSlot  a scheduled webinar's time: the button starts
   *   the public broadcast (the server decides the kind the same way)
   * @param {(key: string, values?: object) => string} options.t  translator
   * @param {(text: string) => void} options.announce  the live region
   * @param {(text: string) => void} options.alert     a visible alert
   */
  constructor({ badge, button, url, broadcastSlot = false, t, announce, alert }) {
    Object.assign(this, { badge, button, url, broadcastSlot, t, announce, alert });
    this.on = false;
    this.broadcast = false;
    this.id = "";
    this.busy = false;
    this.render();
  }

  /** The worker's word: a recording started or stopped. */
  update({ state, broadcast, recording }) {
    const on = state === "on";
    if (recording) this.id = recording;
    if (on !== this.on) this.announce(this.t(on ? (broadcast ? "broadcast-now-on" : "recording-now-on") : "recording-now-off"));
    this.on = on;
    this.broadcast = Boolean(broadcast) && on;
    if (!on) this.id = "";
    this.render();
  }

  render() {
    this.badge.hidden = !this.on;
    this.badge.textContent = this.t(this.broadcast ? "broadcast-badge" : "recording-badge");
    if (!this.button) return;
    this.button.setAttribute("aria-pressed", String(this.on));
    const live = this.on ? this.broadcast : this.broadcastSlot;
    this.button.textContent = this.t(live ? (this.on ? "broadcast-stop" : "broadcast-start") : (this.on ? "record-stop" : "record-start"));
    this.button.disabled = this.busy;
  }

  /** The host pressed the button. */
  async toggle() {
    if (this.busy) return;
    if (this.on && !window.confirm(this.t(this.broadcast ? "confirm-broadcast-stop" : "confirm-record-stop"))) return;
    this.busy = true;
    this.render();
    const address = this.on ? `${this.url}${this.id}/stop` : `${this.url}start`;
    try {
      const response = await fetch(address, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.error || this.t("record-failed"));
      if (!this.on && body.id) this.id = String(body.id).replace(/-/g, "");
    } catch (problem) {
      this.alert(this.t("record-problem", { error: problem.message || this.t("record-failed") }));
    } finally {
      this.busy = false;
      this.render();
    }
  }
}
