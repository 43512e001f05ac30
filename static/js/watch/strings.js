// Interface strings of the watch pages, from <template id="watch-messages"> (Django i18n).
const source = document.getElementById("watch-messages");

export function t(key, params = {}) {
  const attribute = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const text = (source && source.getAttribute(`data-${attribute}`)) || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : ""));
}

// One polite live region per page: screen readers hear state changes without focus moves.
export function announce(text) {
  const region = document.getElementById("watch-announce");
  if (!region) return;
  region.textContent = "";
  // A fresh node after a tick so the same sentence twice is still read out.
  setTimeout(() => { region.textContent = text; }, 50);
}
