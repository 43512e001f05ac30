/**
 * Interface text of the live room. Every string comes from the page's
 * <template id="live-messages"> (translated by Django); this file holds none.
 */

/** Read the translated strings out of a <template>. */
export function loadMessages(doc, id = "live-messages") {
  const messages = new Map();
  const template = doc.getElementById(id);
  if (!template) return messages;
  for (const element of template.content.querySelectorAll("[data-msg]")) {
    messages.set(element.dataset.msg, element.textContent.trim().replace(/\s+/g, " "));
  }
  return messages;
}

/** Return t(key, values): the message with its {name} placeholders filled. */
export function makeTranslator(messages) {
  return (key, values = {}) => {
    const text = messages.get(key) ?? key;
    return text.replace(/\{(\w+)\}/g, (match, name) =>
      Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match,
    );
  };
}

/** Human file size in the page's language (1 decimal above a kilobyte). */
export function fileSize(bytes, lang) {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : 1;
  return `${value.toLocaleString(lang, { maximumFractionDigits: digits })} ${units[unit]}`;
}
