/** Small DOM helpers: elements are built with text nodes only, never from HTML strings. */

/** Create an element: h("button", {class: "btn", dataset: {action: "x"}}, "text", child). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** The first element under root with data-role=name. */
export function role(root, name) {
  return root.querySelector(`[data-role="${name}"]`);
}

/** Run fn at most once per animation frame (renders of big lists during bursts). */
export function perFrame(fn) {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      fn();
    });
  };
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/giu;
const TRAILING = /[.,;:!?)\]}»”’]+$/u;

/**
 * Chat text as nodes: plain text, with http(s) links made clickable and safe
 * (new tab, no referrer, no opener). Nothing is ever parsed as HTML.
 */
export function linkify(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let candidate = match[0];
    const trailing = candidate.match(TRAILING);
    if (trailing) candidate = candidate.slice(0, -trailing[0].length);
    let url = null;
    try {
      url = new URL(candidate);
    } catch {
      url = null;
    }
    if (!url || !["http:", "https:"].includes(url.protocol)) continue;
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    nodes.push(
      h("a", { href: url.href, target: "_blank", rel: "noopener noreferrer nofollow ugc" }, candidate),
    );
    last = match.index + candidate.length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

/** A time as hours:minutes in the page's language. */
export function clock(iso, lang) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}
