// A recording in parts (a media worker died during it and the recording went on in a
// new part, archive/services/parts.py): the parts play one after the other in one
// <video>. The part buttons switch; at the end of a part the next one starts. A point
// on the whole recording (a chapter) is found in its part: `video.meetParts.seek(t)`.
// Captions are written for the whole recording: while a later part plays, its cues are
// moved back by the part's start, so the words shown are those of the moment playing.

class PartsPlayer {
  #video;
  #buttons;
  #current = 0;
  #shift = 0; // seconds the caption cues are moved back by (the current part's start)

  constructor(video, nav) {
    this.#video = video;
    this.#buttons = [...nav.querySelectorAll("[data-part]")];
    for (const button of this.#buttons) {
      button.addEventListener("click", () => this.#play(Number(button.dataset.part), 0));
    }
    video.addEventListener("ended", () => {
      if (this.#current + 1 < this.#buttons.length) this.#play(this.#current + 1, 0);
    });
    // A caption file that loads after a switch comes with the whole recording's times.
    for (const track of video.querySelectorAll("track")) {
      track.addEventListener("load", () => this.#moveCues(track.track, this.#shift));
    }
  }

  #moveCues(track, by) {
    for (const cue of track.cues ? [...track.cues] : []) {
      cue.startTime -= by;
      cue.endTime -= by;
    }
  }

  /** Seconds on the whole recording -> the part that holds them, and the time in it. */
  seek(seconds) {
    let index = 0;
    this.#buttons.forEach((button, at) => {
      if (Number(button.dataset.start) <= seconds) index = at;
    });
    this.#play(index, Math.max(0, seconds - Number(this.#buttons[index].dataset.start)));
  }

  #play(index, offset) {
    const video = this.#video;
    if (index !== this.#current) {
      this.#current = index;
      const shift = Number(this.#buttons[index].dataset.start) || 0;
      for (const track of video.textTracks) this.#moveCues(track, shift - this.#shift);
      this.#shift = shift;
      video.src = this.#buttons[index].dataset.src;
      this.#buttons.forEach((button, at) => {
        if (at === index) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      });
    }
    const start = () => {
      video.currentTime = offset;
      video.play().catch(() => {}); // autoplay rules may refuse; the part is chosen anyway
    };
    if (video.readyState >= 1) start();
    else video.addEventListener("loadedmetadata", start, { once: true });
  }
}

for (const nav of document.querySelectorAll("[data-parts-for]")) {
  const video = document.getElementById(nav.dataset.partsFor);
  if (video) video.meetParts = new PartsPlayer(video, nav);
}
