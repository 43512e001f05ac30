"""A course quiz: grading an attempt against the key, and the organiser's text format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MAX_QUESTION_CHARS = 300  # as a live poll's question (signaling.models.Poll)
MAX_CHOICE_CHARS = 120  # as a live poll's option (signaling.models.PollOption)
MAX_CHOICES = 10


@dataclass(frozen=True)
class Question:
    """A multiple-choice question: its text, choices and which of them are right."""

    text: str
    choices: tuple[str, ...]
    correct: frozenset[int]


class QuizFormatError(ValueError):
    """The organiser's text cannot be read as questions; ``line`` (1-based) is the line at
    fault, or the question's first line when the question as a whole is incomplete."""

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"{line}: {problem}")


def grade(key: Mapping[int, frozenset[int]], answers: Mapping[int, frozenset[int]]) -> float:
    """Percent of questions answered exactly right (every right choice, no wrong one)."""
    if not key:
        return 0.0
    right = sum(1 for q, correct in key.items() if answers.get(q, frozenset()) == correct)
    return 100.0 * right / len(key)


def passed(percent: float, pass_mark: int) -> bool:
    """Whether a score reaches the pass mark."""
    return percent + 1e-9 >= pass_mark


def parse(text: str) -> tuple[Question, ...]:
    """Questions from text: a question on a line, then its choices, each on a line starting
    with ``*`` (right) or ``-`` (wrong); a blank line between questions."""
    questions: list[Question] = []
    current: str | None = None
    current_line = 0
    choices: list[str] = []
    correct: set[int] = set()

    def close() -> None:
        nonlocal current
        if current is None:
            return
        if len(choices) < 2:
            raise QuizFormatError(current_line, "choices")
        if not correct:
            raise QuizFormatError(current_line, "correct")
        questions.append(Question(current, tuple(choices), frozenset(correct)))
        current = None
        choices.clear()
        correct.clear()

    lines = text.splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            close()
        elif line[0] in "*-":
            item = line[1:].strip()
            if current is None or not item:
                raise QuizFormatError(number, "orphan")
            if len(item) > MAX_CHOICE_CHARS or len(choices) >= MAX_CHOICES:
                raise QuizFormatError(number, "long")
            if line[0] == "*":
                correct.add(len(choices))
            choices.append(item)
        else:
            if current is not None and choices:
                close()
            if current is not None or len(line) > MAX_QUESTION_CHARS:
                raise QuizFormatError(number, "long" if current is None else "orphan")
            current, current_line = line, number
    close()
    return tuple(questions)


def unparse(questions: tuple[Question, ...]) -> str:
    """The text ``parse`` reads back into the same questions."""
    blocks = []
    for q in questions:
        rows = [q.text] + [("* " if i in q.correct else "- ") + c for i, c in enumerate(q.choices)]
        blocks.append("\n".join(rows))
    return "\n\n".join(blocks)
