"""Issue 16, "Done when": a teacher presses "Đăng nhập bằng <provider>" on the sign-in page,
signs in at the provider (a real one on loopback) and is back in their own room, signed in
to the account they already had, with no new password."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serve, throwaway_database
from tests.e2e.server import meet_shell
from tests.oidc_provider import Provider, running_provider

pytestmark = pytest.mark.e2e

TEACHER = """
import json
from django.contrib.auth.models import User
from rooms.models import Room, RoomMembership
user = User.objects.create_user(
    "nguyen.thi.an", email="an.nguyenthi@hanoi.edu.vn", first_name="Nguyễn Thị An"
)
user.set_unusable_password()
user.save()
RoomMembership.objects.create(room=Room.objects.get(slug="hanoi"), user=user, role="host")
print(json.dumps({"id": user.pk}))
"""


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def signin_server(provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A meet process whose deployment names the loopback provider, and its database."""
    providers = [
        {
            "provider": "openid_connect",
            "id": "keycloak-hanoi",
            "name": "Keycloak Hà Nội",
            "client_id": "meet",
            "secret": "secret",
            "server_url": provider.url,
            "domains": ["hanoi.edu.vn"],
        }
    ]
    database_urls = throwaway_database(tmp_path_factory, "signin")
    database = next(database_urls)
    var_dir = tmp_path_factory.mktemp("signin-var")
    servers = serve(database, var_dir, MEET_SIGNIN_PROVIDERS=json.dumps(providers))
    url = next(servers)
    meet_shell(TEACHER, database=database, var_dir=var_dir)
    yield url
    for rest in (servers, database_urls):
        next(rest, None)


def test_a_teacher_signs_in_with_the_provider_into_their_own_room(
    browser, provider: Provider, signin_server: str
) -> None:
    provider.user("an-at-keycloak", email="an.nguyenthi@hanoi.edu.vn", email_verified=True)
    context = browser.new_context(base_url=signin_server, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto("/accounts/login/?next=/hanoi")
        page.get_by_role("button", name="Đăng nhập bằng Keycloak Hà Nội").click()

        # The provider's own page: the teacher is who they say they are.
        expect(page).to_have_url(re.compile("^" + re.escape(provider.url) + "/oauth2/authorize"))
        page.fill("input[name=sub]", "an-at-keycloak")
        page.get_by_role("button", name="Authorize").click()

        expect(page).to_have_url(re.compile(re.escape(signin_server) + "/hanoi$"))
        expect(page.locator(".site-user-name")).to_have_text("Nguyễn Thị An")
        expect(page.locator("html")).to_have_attribute("lang", "vi")
    finally:
        context.close()
