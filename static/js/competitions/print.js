// The timetable's and the results' Print buttons (no inline script: the CSP forbids it).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
