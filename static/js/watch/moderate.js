// The hosts' moderation panel: every question live, with approve / answer / highlight /
// hide, and the viewers' chat switch. Same socket as viewers, with ?mode=moderate.
import { QuestionList, chatItem } from "./qa.js";
import { WatchSocket } from "./socket.js";
import { announce, t } from "./strings.js";

const root = document.getElementById("moderate");
const feedback = document.getElementById("moderate-feedback");
const viewers = document.getElementById("watch-viewers");
const chatToggle = document.getElementById("chat-toggle");
const chatList = document.getElementById("chat-list");
let socket = null;

function button(label, onClick, className = "btn btn-small") {
  const node = document.createElement("button");
  node.type = "button";
  node.className = className;
  node.textContent = label;
  node.addEventListener("click", onClick);
  return node;
}

function act(message) {
  feedback.textContent = "";
  if (!socket.send(message)) feedback.textContent = t("disconnected");
}

function answerForm(question) {
  const form = document.createElement("form");
  form.className = "qa-answer-form";
  const id = `answer-${question.id}`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = t("answerLabel");
  const text = document.createElement("textarea");
  text.id = id;
  text.rows = 2;
  text.maxLength = 2000;
  text.value = question.answer || "";
  const submit = button(t("sendAnswer"), () => {}, "btn btn-small btn-primary");
  submit.type = "submit";
  form.append(label, text, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act({ type: "qa.answer", id: question.id, text: text.value });
  });
  return form;
}

function controls(question) {
  const row = document.createElement("div");
  row.className = "cluster qa-controls";
  if (question.state === "pending") {
    row.append(button(t("approve"), () => act({ type: "qa.approve", id: question.id }), "btn btn-small btn-primary"));
  }
  row.append(
    button(question.highlighted ? t("unhighlight") : t("highlight"),
      () => act({ type: "qa.highlight", id: question.id, on: !question.highlighted })),
    button(t("hide"), () => act({ type: "qa.hide", id: question.id }), "btn btn-small btn-danger"),
  );
  return [row, answerForm(question)];
}

const pending = new QuestionList(document.getElementById("qa-pending"), document.getElementById("qa-pending-empty"), {
  controls, filter: (q) => q.state === "pending",
});
const shown = new QuestionList(document.getElementById("qa-public"), document.getElementById("qa-public-empty"), {
  controls, filter: (q) => q.state === "approved" || q.state === "answered",
});

function upsert(question) {
  for (const list of [pending, shown]) {
    if (question.state === "hidden") list.remove(question.id);
    else list.upsert(question);
  }
}

socket = new WatchSocket(root.dataset.wsPath, {
  onMessage(message) {
    switch (message.type) {
      case "hello":
        pending.reset(message.questions);
        shown.reset(message.questions);
        chatToggle.checked = message.chat.enabled;
        chatList.replaceChildren(...message.chat.messages.map(chatItem));
        viewers.textContent = t("viewers", { count: message.viewers });
        break;
      case "viewers": viewers.textContent = t("viewers", { count: message.count }); break;
      case "qa.question": {
        const isNew = !pending.questions.has(message.question.id) && !shown.questions.has(message.question.id);
        upsert(message.question);
        if (isNew && message.question.state === "pending") {
          announce(t("newQuestion", { name: message.question.name || t("anonymous") }));
        }
        break;
      }
      case "chat.message": chatList.append(chatItem(message.message)); break;
      case "chat.state":
        chatToggle.checked = message.enabled;
        announce(message.enabled ? t("chatOn") : t("chatOff"));
        break;
      case "error": feedback.textContent = message.message; break;
      default: break;
    }
  },
});

chatToggle.addEventListener("change", () => act({ type: "chat.toggle", enabled: chatToggle.checked }));
