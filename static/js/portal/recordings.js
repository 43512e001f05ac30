// A room's recordings: while one is recording or being finished, ask the server every two
// seconds and update its state, duration and progress bar in place.
const table = document.getElementById("recordings");
const POLL_MS = 2000;

function clock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function update(row, recording) {
  const state = row.querySelector('[data-field="state"]');
  if (state) {
    state.textContent = recording.state_label;
    state.className = "badge " + (recording.state === "ready" ? "badge-ok" : recording.state === "failed" ? "badge-bad" : "badge-info");
  }
  const duration = row.querySelector('[data-field="duration"]');
  if (duration) duration.textContent = clock(recording.duration);
  let bar = row.querySelector('[data-field="progress"]');
  if (recording.state === "finalising") {
    if (!bar && state) {
      bar = document.createElement("progress");
      bar.max = 100;
      bar.dataset.field = "progress";
      bar.setAttribute("aria-label", state.textContent);
      state.after(bar);
    }
    if (bar) bar.value = Math.round(recording.progress * 100);
  } else if (bar) {
    bar.remove();
  }
}

async function poll() {
  const response = await fetch(table.dataset.poll, { headers: { Accept: "application/json" } });
  if (!response.ok) return false;
  const data = await response.json();
  let unfinished = false;
  for (const recording of data.recordings) {
    const row = table.querySelector(`[data-recording="${recording.id}"]`);
    if (row) update(row, recording);
    unfinished ||= recording.state === "recording" || recording.state === "finalising";
  }
  return unfinished;
}

async function loop() {
  let again = true;
  try {
    again = await poll();
  } catch {
    again = true; // a network blip: try again later
  }
  if (again) setTimeout(loop, POLL_MS);
}

if (table && table.querySelector('[data-field="state"]')) loop();
