// The archive's entry page: chapter buttons seek the video; copy buttons copy the share
// link and the embed code. Everything works with the keyboard (they are buttons).
const video = document.getElementById("portal-video");
const status = document.getElementById("copy-status");

for (const button of document.querySelectorAll("[data-seek]")) {
  button.addEventListener("click", () => {
    if (!video) return;
    const seconds = Number(button.dataset.seek) || 0;
    video.focus();
    if (video.meetParts) {
      video.meetParts.seek(seconds); // a recording in parts: the chapter may be in another
      return;
    }
    video.currentTime = seconds;
    video.play().catch(() => {}); // autoplay rules may refuse; the position is set anyway
  });
}

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      document.execCommand("copy"); // older browsers, and pages not served over HTTPS
    }
    if (status) status.textContent = status.dataset.done || "";
  });
}
