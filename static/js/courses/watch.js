// The course player's beacon: reports which seconds of the recording were played, every
// 15 s and when the page is hidden. The server merges the spans, so seeking back and
// watching again never counts twice, and it caps new time by the wall clock.
const REPORT_EVERY_MS = 15000;

const video = document.getElementById("course-video");
const form = document.getElementById("watch-report");
if (video && form) {
  const url = form.dataset.url;
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const status = document.getElementById("watch-status");
  let spans = [];
  let from = null; // where the current run of playing started
  let last = null; // the last position reached in that run (seeking changes currentTime first)

  const close = () => {
    if (from !== null && last !== null && last > from) spans.push([from, last]);
    from = last = null;
    if (!video.paused && !video.ended && !video.seeking) from = last = video.currentTime;
  };
  const report = (leaving) => {
    close();
    if (!spans.length) return;
    const body = JSON.stringify({ spans: spans.map(([a, b]) => [+a.toFixed(2), +b.toFixed(2)]) });
    spans = [];
    const init = {
      method: "POST",
      body,
      keepalive: leaving,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
    };
    fetch(url, init)
      .then((r) => r.json())
      .then((data) => {
        if (data.ok && status) {
          status.dataset.seconds = String(data.seconds);
          status.textContent = status.dataset.template.replace("{minutes}", Math.floor(data.seconds / 60));
        }
      })
      .catch(() => {});
  };

  video.addEventListener("playing", () => { from = last = video.currentTime; });
  video.addEventListener("timeupdate", () => {
    if (from !== null && !video.seeking) last = video.currentTime;
  });
  video.addEventListener("seeking", () => { close(); from = last = null; });
  video.addEventListener("seeked", () => { if (!video.paused) from = last = video.currentTime; });
  video.addEventListener("pause", () => { close(); report(false); });
  video.addEventListener("ended", () => { close(); report(false); });
  setInterval(() => { if (!video.paused) report(false); }, REPORT_EVERY_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") report(true);
  });
}
