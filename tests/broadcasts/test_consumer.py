"""The watch socket on both channel layers: viewer count, questions from asking to
hiding, validation, rate limits, permissions and the viewers' chat."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import cast

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from broadcasts.models import PublicChatMessage, Question, QuestionState, WatchSettings
from rooms.models import MemberRole, Room, RoomMembership
from tests.broadcasts.helpers import Watcher, broadcast_at, db
from tests.factories import RoomFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


# -- viewer count -----------------------------------------------------------------------------


async def test_viewers_are_counted_and_told_of_changes(watch, host_user: User) -> None:
    first = await watch()
    second = await watch(address="198.51.100.2")
    third = await watch(address="198.51.100.3")
    panel = await watch(user=host_user, moderate=True)
    for watcher in (first, second, third, panel):
        await watcher.viewers_reach(3)  # the host's panel hears the count, is not counted
    await third.close()
    for watcher in (first, second, panel):
        await watcher.viewers_reach(2)


async def test_hello_tells_the_count_so_far(watch) -> None:
    first = await watch()
    await first.viewers_reach(1)
    second = await watch()
    assert second.hello["role"] == "viewer"
    assert second.hello["viewers"] >= 1


# -- questions ----------------------------------------------------------------------------------


async def test_a_question_goes_to_the_hosts_then_once_approved_to_everyone(
    watch, host_user: User, room: Room
) -> None:
    panel = await watch(user=host_user, moderate=True)
    asker = await watch()
    other = await watch(address="198.51.100.9")

    await asker.send({"type": "qa.ask", "text": "Khi nào có tài liệu?", "name": "  Minh  "})
    asked = await asker.receive_type("qa.asked")
    pending = (await panel.receive_type("qa.question"))["question"]
    assert pending == {
        **pending,
        "id": asked["id"],
        "text": "Khi nào có tài liệu?",
        "name": "Minh",
        "state": "pending",
    }
    assert await other.nothing_more()  # viewers never see a pending question

    await panel.send({"type": "qa.approve", "id": asked["id"]})
    for viewer in (asker, other):
        shown = (await viewer.receive_type("qa.question"))["question"]
        assert shown["text"] == "Khi nào có tài liệu?"
        assert "state" not in shown
    assert (await panel.receive_type("qa.question"))["question"]["state"] == "approved"

    await panel.send({"type": "qa.answer", "id": asked["id"], "text": "Sau buổi tập huấn."})
    answered = (await other.receive_type("qa.question"))["question"]
    assert answered["answer"] == "Sau buổi tập huấn."

    await panel.send({"type": "qa.highlight", "id": asked["id"], "on": True})
    assert (await other.receive_type("qa.question"))["question"]["highlighted"] is True

    await panel.send({"type": "qa.hide", "id": asked["id"]})
    assert await other.receive_type("qa.removed") == {"type": "qa.removed", "id": asked["id"]}
    question = await db(Question.objects.get)(pk=asked["id"])
    assert (question.state, question.highlighted, question.answer) == (
        QuestionState.HIDDEN,
        False,
        "Sau buổi tập huấn.",
    )
    assert question.occurrence_id is not None


async def test_hello_shows_viewers_only_approved_questions_and_hosts_all(
    watch, host_user: User, room: Room
) -> None:
    occurrence = await db(lambda: room.occurrences.get())()
    make = db(Question.objects.create)
    await make(room=room, occurrence=occurrence, text="Chờ duyệt")
    await make(room=room, occurrence=occurrence, text="Đã duyệt", state=QuestionState.APPROVED)
    await make(room=room, occurrence=occurrence, text="Đã ẩn", state=QuestionState.HIDDEN)
    viewer = await watch()
    panel = await watch(user=host_user, moderate=True)
    assert [q["text"] for q in viewer.hello["questions"]] == ["Đã duyệt"]
    assert [q["text"] for q in panel.hello["questions"]] == ["Chờ duyệt", "Đã duyệt"]


async def test_question_text_is_stored_nfc_and_as_typed(watch, host_user: User) -> None:
    panel = await watch(user=host_user, moderate=True)
    viewer = await watch()
    decomposed = unicodedata.normalize("NFD", "Tập huấn <b>Tin học</b>")
    await viewer.send({"type": "qa.ask", "text": decomposed})
    question = (await panel.receive_type("qa.question"))["question"]
    assert question["text"] == "Tập huấn <b>Tin học</b>"  # NFC; escaping is the page's job
    assert question["name"] == ""


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "code", "text"),
    [
        ({"type": "qa.ask", "text": "   "}, "empty", "Hãy viết nội dung trước."),
        (
            {"type": "qa.ask", "text": "a" * 501},
            "too_long",
            "Nội dung quá dài: tối đa 500 ký tự.",
        ),
        ({"type": "qa.ask", "text": 42}, "empty", "Hãy viết nội dung trước."),
        ({"type": "qa.vote", "id": 1}, "unknown_type", None),
        ({"type": "qa.approve", "id": "1"}, "bad_message", None),
    ],
)
async def test_bad_messages_get_a_clear_vietnamese_error(watch, message, code, text) -> None:
    viewer = await watch()
    await viewer.send(message)
    error = await viewer.receive_type("error")
    assert error["code"] == code
    if text is not None:
        assert error["message"] == text
    assert await db(Question.objects.count)() == 0


async def test_errors_are_in_english_for_english_viewers(watch) -> None:
    viewer = await watch(language="en")
    await viewer.send({"type": "qa.ask", "text": ""})
    assert (await viewer.receive_type("error"))["message"] == "Write something first."


async def test_text_that_is_not_json_is_refused(watch) -> None:
    viewer = await watch()
    await viewer.send_raw("<html>")
    assert (await viewer.receive_type("error"))["code"] == "bad_message"
    await viewer.send({"type": "qa.ask", "text": "Vẫn hỏi được"})
    assert (await viewer.receive_type("qa.asked"))["id"] > 0


# -- rate limits --------------------------------------------------------------------------------


async def test_a_connection_asks_three_at_once_then_waits(watch) -> None:
    viewer = await watch()
    for number in range(3):
        await viewer.send({"type": "qa.ask", "text": f"Câu hỏi {number}"})
        await viewer.receive_type("qa.asked")
    await viewer.send({"type": "qa.ask", "text": "Câu hỏi thứ tư"})
    error = await viewer.receive_type("error")
    assert error["code"] == "rate_limited"
    assert error["message"].startswith("Bạn gửi quá nhanh.")
    assert await db(Question.objects.count)() == 3


async def test_tabs_from_one_address_share_its_limit(watch) -> None:
    first = await watch(address="192.0.2.50")
    second = await watch(address="192.0.2.50")
    elsewhere = await watch(address="192.0.2.51")
    for viewer in (first, first, second):
        await viewer.send({"type": "qa.ask", "text": "Xin hỏi"})
        await viewer.receive_type("qa.asked")
    await second.send({"type": "qa.ask", "text": "Xin hỏi lần nữa"})
    assert (await second.receive_type("error"))["code"] == "rate_limited"
    await elsewhere.send({"type": "qa.ask", "text": "Một người khác hỏi"})
    assert (await elsewhere.receive_type("qa.asked"))["id"] > 0


# -- permissions --------------------------------------------------------------------------------


async def test_a_viewer_cannot_moderate(watch, room: Room) -> None:
    occurrence = await db(lambda: room.occurrences.get())()
    question = await db(Question.objects.create)(room=room, occurrence=occurrence, text="Chờ")
    viewer = await watch()
    for message in (
        {"type": "qa.approve", "id": question.pk},
        {"type": "qa.hide", "id": question.pk},
        {"type": "qa.answer", "id": question.pk, "text": "Trả lời giả"},
        {"type": "chat.toggle", "enabled": True},
    ):
        await viewer.send(message)
        error = await viewer.receive_type("error")
        assert error["code"] == "forbidden"
        assert error["message"] == "Chỉ chủ trì của phòng họp mới làm được việc này."
    await db(question.refresh_from_db)()
    assert (question.state, question.answer) == (QuestionState.PENDING, "")
    assert not await db(WatchSettings.objects.filter(chat_enabled=True).exists)()


async def test_only_hosts_open_the_moderation_panel(watch, room: Room) -> None:
    member = await db(UserFactory)()
    await db(RoomMembership.objects.create)(room=room, user=member, role=MemberRole.PARTICIPANT)
    for user in (None, member):
        watcher = await watch(user=user, moderate=True)
        assert watcher.hello["refused"]["code"] == "forbidden"
        assert await watcher.closed_with() == 4403


async def test_a_host_cannot_moderate_another_rooms_question(watch, host_user: User) -> None:
    other_room = await db(RoomFactory)()
    foreign = await db(Question.objects.create)(room=other_room, text="Phòng khác")
    panel = await watch(user=host_user, moderate=True)
    await panel.send({"type": "qa.approve", "id": foreign.pk})
    assert (await panel.receive_type("error"))["code"] == "no_question"
    await db(foreign.refresh_from_db)()
    assert foreign.state == QuestionState.PENDING


async def test_no_socket_for_a_room_that_does_not_broadcast(clean: None, db_room_plain) -> None:
    watcher = Watcher(db_room_plain.slug)
    await watcher.open()
    assert watcher.hello["refused"]["code"] == "not_live"
    assert await watcher.closed_with() == 4404


@pytest.fixture
def db_room_plain(transactional_db: None) -> Room:
    room = cast(Room, RoomFactory())
    # A meeting now that is not a broadcast, and a broadcast tomorrow: neither opens it.
    broadcast_at(room, start=timezone.now() - timedelta(minutes=5), broadcast=False)
    broadcast_at(room, start=timezone.now() + timedelta(days=1))
    return room


# -- chat --------------------------------------------------------------------------------------


async def test_chat_is_off_until_a_host_turns_it_on(watch, host_user: User) -> None:
    viewer = await watch()
    other = await watch(address="198.51.100.20")
    assert viewer.hello["chat"] == {"enabled": False, "messages": []}
    await viewer.send({"type": "chat.send", "text": "Xin chào"})
    error = await viewer.receive_type("error")
    assert (error["code"], error["message"]) == ("chat_off", "Trò chuyện đang tắt với người xem.")

    panel = await watch(user=host_user, moderate=True)
    await panel.send({"type": "chat.toggle", "enabled": True})
    for watcher in (viewer, other, panel):
        assert (await watcher.receive_type("chat.state"))["enabled"] is True
    await viewer.send({"type": "chat.send", "text": "Xin chào mọi người", "name": "Hà"})
    for watcher in (other, panel):
        message = (await watcher.receive_type("chat.message"))["message"]
        assert (message["name"], message["text"]) == ("Hà", "Xin chào mọi người")
    assert await db(PublicChatMessage.objects.count)() == 1

    late = await watch(address="198.51.100.21")
    assert late.hello["chat"]["enabled"] is True
    assert [m["text"] for m in late.hello["chat"]["messages"]] == ["Xin chào mọi người"]
