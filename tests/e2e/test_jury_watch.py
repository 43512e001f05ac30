"""End to end (issue 15, item 4): a contestant teaches in the school's room while two
remote jurors watch the lesson as silent observers, in Chromium with fake devices and the
real media worker.

The jurors come in from their page of lessons during the slot ("Vào quan sát tiết dạy"):
the pre-join screen says what watching means and the browser is never asked for a
microphone or camera; in the room they see the teacher's video and read the chat, and
have nothing to speak, share or raise with; what they write goes to the jury alone. The
teacher sees them listed as jurors.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.competition_setup import ROOM, competition_at_scoring
from tests.e2e.server import live_var_dir, meet_shell
from tests.e2e.test_foundation import sign_in
from tests.e2e.test_listen_only import KEEP_TRACKS, TRACKS
from tests.e2e.test_live_room import (
    CAPTURE_PEER_CONNECTIONS,
    JOIN_TIMEOUT_MS,
    frames_decoded,
    join_as_member,
    media_worker,
    send_chat,
)

pytestmark = pytest.mark.e2e
__all__ = ["media_worker"]  # a fixture, imported for these tests


LESSON_NOW = competition_at_scoring("Thi GVDG quan sát", lesson_now=True)


@pytest.fixture(scope="module")
def lesson_now(live_url: str, server_database: str, tmp_path_factory: pytest.TempPathFactory):
    return meet_shell(LESSON_NOW, database=server_database, var_dir=live_var_dir(tmp_path_factory))


def juror_page(browser: Browser, live_url: str) -> Page:
    context = browser.new_context(base_url=live_url, locale="vi-VN")
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    context.add_init_script(KEEP_TRACKS)
    return context.new_page()


def watch(page: Page, username: str, competition: int) -> None:
    """From the juror's lessons to the room, through the pre-join screen, into the room."""
    sign_in(page, username, f"/competitions/{competition}/jury/")
    page.locator("main a", has_text="Vào quan sát tiết dạy").click()
    expect(page).to_have_url(re.compile(f"/{ROOM}/live/$"))
    line = page.locator("[data-role='observer-line']")
    expect(line).to_be_visible()
    expect(line).to_contain_text("giám khảo")
    expect(page.locator("[data-role='mode-choice']")).to_be_hidden()
    expect(page.locator("[data-action='prejoin-mic']")).to_be_hidden()
    page.locator("[data-action='join']").click()
    expect(page.locator("[data-view='room']")).to_be_visible(timeout=JOIN_TIMEOUT_MS)


def test_two_jurors_watch_the_lesson_silently(
    page: Page, browser: Browser, live_url: str, media_worker: None, lesson_now
) -> None:
    join_as_member(page, ROOM, slug=ROOM)  # the teacher, with camera and microphone
    jurors = [juror_page(browser, live_url), juror_page(browser, live_url)]
    for juror, username in zip(jurors, ("giaovien1", "giaovien2"), strict=True):
        watch(juror, username, lesson_now["pk"])
    send_chat(page, "Chào các thầy cô giám khảo")
    for juror in jurors:
        assert frames_decoded(juror, more_than=10) > 10, "the lesson's video did not arrive"
        expect(juror.locator("[data-role='observer-note']")).to_be_visible()
        for action in ("mic", "camera", "screen", "hand"):
            expect(juror.locator(f".live-controls [data-action='{action}']")).to_be_hidden()
        expect(juror.locator("[data-role='chat-log']")).to_contain_text("Chào các thầy cô")
        expect(juror.locator("[data-role='observer-chat-note']")).to_be_visible()
        # The browser was never asked for a microphone or a camera.
        assert juror.evaluate(TRACKS) == []
        assert int(juror.evaluate("window.__meetAskedAudio")) == 0
    # The jury's own chat: the other juror reads it, marked; the teacher never does.
    send_chat(jurors[0], "Phần mở bài rất tốt")
    line = jurors[1].locator("[data-role='chat-log'] .live-chat-jury")
    expect(line).to_contain_text("Phần mở bài rất tốt")
    expect(line).to_contain_text("Chỉ giám khảo")
    expect(jurors[0].locator("[data-role='chat-log'] .live-chat-jury")).to_have_count(1)
    page.wait_for_timeout(1000)
    expect(page.locator("[data-role='chat-log']")).not_to_contain_text("Phần mở bài")
    # The teacher sees two jurors in the list, and no tile of theirs.
    page.locator("[data-panel='people']").click()
    people = page.locator("[data-role='people-list']")
    expect(people.get_by_text("Giám khảo (quan sát)")).to_have_count(2)
    expect(page.locator(".live-grid .live-tile")).to_have_count(1)  # the teacher's own
    for juror in jurors:
        juror.context.close()
