"""Issue 12: the pages offer a link to their source (AGPL-3.0-or-later, section 13)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.conftest import ROOT

SOURCE = "https://example.org/meet.git"


@pytest.mark.django_db
@override_settings(MEET_SOURCE_URL=SOURCE)
def test_every_page_footer_links_to_the_source_in_vietnamese_first() -> None:
    response = Client(headers={"accept-language": "vi"}).get("/accounts/login/")
    assert response.status_code == 200
    footer = response.content.decode().split('<footer class="site-footer">')[1]
    assert f'<a href="{SOURCE}">Mã nguồn</a>' in footer


def test_the_licence_is_the_agpl_text() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:6] == ["GNU", "AFFERO", "GENERAL", "PUBLIC", "LICENSE", "Version"]
    assert "13. Remote Network Interaction" in text
