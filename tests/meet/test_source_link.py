"""Issue 12: the pages offer a link to their source (AGPL-3.0-or-later, section 13)."""

from __future__ import annotations

import io
import tarfile

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


@pytest.mark.django_db
def test_without_a_repository_the_footer_offers_the_running_tree() -> None:
    page = Client(headers={"accept-language": "vi"}).get("/accounts/login/").content.decode()
    assert '<a href="/source/">Mã nguồn</a>' in page.split('<footer class="site-footer">')[1]
    response = Client().get("/source/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
        names = set(archive.getnames())
    assert {"meet/LICENSE", "meet/pyproject.toml", "meet/meet/settings.py"} <= names
    assert "meet/requirements/lock.txt" in names  # the Dockerfile builds from the lock
    assert "meet/templates/base.html" in names and "meet/locale/vi/LC_MESSAGES/django.po" in names
    # Source only: no local data, secrets, environments or built files.
    assert not any(
        part in {"var", ".env", ".venv", ".git", "__pycache__", "tests"}
        for name in names
        for part in name.split("/")
    )
    assert not any(name.endswith((".mo", ".pyc", ".sqlite3")) for name in names)
