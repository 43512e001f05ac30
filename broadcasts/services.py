"""Writes of the watch page: questions asked and moderated, public chat and its switch.

Each service runs in one transaction and tells the right audience after the commit:
hosts hear of every question; viewers only of approved ones.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from broadcasts.domain.protocol import Moderate
from broadcasts.errors import WatchError
from broadcasts.events import notify_watch
from broadcasts.models import (
    PUBLIC_STATES,
    PublicChatMessage,
    Question,
    QuestionState,
    WatchSettings,
)
from broadcasts.selectors import chat_json, question_json


@transaction.atomic
def question_ask(*, room_id: int, occurrence_id: int | None, text: str, name: str) -> int:
    """Store a viewer's question (pending) and show it to the hosts; returns its id."""
    question = Question.objects.create(
        room_id=room_id, occurrence_id=occurrence_id, text=text, asker_name=name
    )
    notify_watch(
        room_id,
        {"type": "qa.question", "question": question_json(question, host=True)},
        audience="hosts",
    )
    return question.pk


def _apply(question: Question, action: Moderate) -> None:
    if action.action == "approve":
        if question.state in (QuestionState.PENDING, QuestionState.HIDDEN):
            question.state = QuestionState.APPROVED
    elif action.action == "answer":
        question.answer = action.text
        question.state = QuestionState.ANSWERED
    elif action.action == "highlight":
        question.highlighted = action.on
        if action.on and question.state in (QuestionState.PENDING, QuestionState.HIDDEN):
            question.state = QuestionState.APPROVED  # highlighting shows it to everyone
    elif action.action == "hide":
        question.state = QuestionState.HIDDEN
        question.highlighted = False


@transaction.atomic
def question_moderate(*, room_id: int, action: Moderate) -> None:
    """A host approves, answers, highlights or hides a question of the room."""
    question = (
        Question.objects.select_for_update().filter(pk=action.question, room_id=room_id).first()
    )
    if question is None:
        raise WatchError("no_question")
    was_public = question.state in PUBLIC_STATES
    _apply(question, action)
    question.updated_at = timezone.now()
    question.save()
    notify_watch(
        room_id,
        {"type": "qa.question", "question": question_json(question, host=True)},
        audience="hosts",
    )
    if question.state in PUBLIC_STATES:
        public = {"type": "qa.question", "question": question_json(question, host=False)}
        notify_watch(room_id, public, audience="viewers")
    elif was_public:
        notify_watch(room_id, {"type": "qa.removed", "id": question.pk}, audience="viewers")


@transaction.atomic
def chat_post(*, room_id: int, occurrence_id: int | None, text: str, name: str) -> None:
    """A viewer's chat message, when the host has turned chat on."""
    enabled = WatchSettings.objects.filter(room_id=room_id, chat_enabled=True).exists()
    if not enabled:
        raise WatchError("chat_off")
    message = PublicChatMessage.objects.create(
        room_id=room_id, occurrence_id=occurrence_id, text=text, name=name
    )
    event = {"type": "chat.message", "message": chat_json(message)}
    notify_watch(room_id, event, audience="viewers")
    notify_watch(room_id, event, audience="hosts")


@transaction.atomic
def chat_toggle(*, room_id: int, enabled: bool) -> None:
    """A host turns the viewers' chat on or off."""
    WatchSettings.objects.update_or_create(room_id=room_id, defaults={"chat_enabled": enabled})
    event = {"type": "chat.state", "enabled": enabled}
    notify_watch(room_id, event, audience="viewers")
    notify_watch(room_id, event, audience="hosts")
