// Lists of questions and chat messages. Text goes in with textContent only: viewers'
// words are never parsed as HTML.
import { t } from "./strings.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Questions by id; highlighted first, then in the order they were asked.
export class QuestionList {
  constructor(list, empty, { controls = null, filter = () => true } = {}) {
    this.list = list;
    this.empty = empty;
    this.controls = controls; // (question) => [nodes] for hosts
    this.filter = filter;
    this.questions = new Map();
  }

  reset(questions) {
    this.questions = new Map(questions.map((q) => [q.id, q]));
    this.render();
  }

  upsert(question) {
    this.questions.set(question.id, question);
    this.render();
  }

  remove(id) {
    this.questions.delete(id);
    this.render();
  }

  render() {
    const shown = [...this.questions.values()].filter(this.filter);
    shown.sort((a, b) => (Number(b.highlighted) - Number(a.highlighted)) || (a.id - b.id));
    this.list.replaceChildren(...shown.map((q) => this.item(q)));
    if (this.empty) this.empty.hidden = shown.length > 0;
  }

  item(question) {
    const li = el("li", question.highlighted ? "qa-item qa-highlighted" : "qa-item");
    li.dataset.id = String(question.id);
    const meta = el("p", "qa-meta");
    meta.append(el("strong", "", question.name || t("anonymous")));
    if (question.highlighted) meta.append(" ", el("span", "badge badge-info", t("highlighted")));
    if (question.state) meta.append(" ", el("span", "badge badge-muted", t(`state-${question.state}`)));
    li.append(meta, el("p", "qa-text", question.text));
    if (question.answer) {
      const answer = el("p", "qa-answer");
      answer.append(el("strong", "", `${t("answerLabel")}: `), question.answer);
      li.append(answer);
    }
    if (this.controls) li.append(...this.controls(question));
    return li;
  }
}

export function chatItem(message) {
  const li = el("li", "chat-item");
  li.append(el("strong", "", `${message.name || t("anonymous")}: `), message.text);
  return li;
}
