/**
 * A silent observer: a competition's juror watching a lesson in a school's room (issue 15).
 * The server refuses them everything but receiving the meeting (OBSERVER_FRAMES, and the
 * worker drops whatever their browser would send), so the page asks the browser for no
 * microphone or camera and shows nothing they cannot use (room.css: .is-observer), saying
 * why once on the pre-join screen and in the room.
 */
import { role } from "./dom.js";

/** Whether the page is an observer's (the view renders data-observer). */
export function isObserver(root) {
  return root.dataset.observer === "1";
}

/** Before the preview starts: no device for this join. The remembered choice stays. */
export function observe(root, devices) {
  root.classList.add("is-observer");
  devices.choice.micOn = false;
  devices.choice.cameraOn = false;
  for (const name of ["observer-line", "observer-note", "observer-chat-note"]) {
    const element = role(root, name);
    if (element) element.hidden = false;
  }
}
