"""Issue 12: the pages offer a link to their source (AGPL-3.0-or-later, section 13)."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path

import pytest
from django.test import Client, override_settings

from meet.source import source_archive
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


@pytest.mark.django_db
def test_the_tarball_has_the_vendored_static_files_the_dockerfile_checks() -> None:
    response = Client().get("/source/")
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
        names = set(archive.getnames())
    vendored = {
        f"meet/{path.relative_to(ROOT)}"
        for path in (ROOT / "static" / "vendor").rglob("*")
        if path.is_file()
    }
    # hls.js and its licence: a downloaded tree passes the Dockerfile's `test -f`.
    assert {"meet/static/vendor/hls.js/hls.min.js", "meet/static/vendor/hls.js/LICENSE"} <= vendored
    assert vendored <= names
    # Every file the Dockerfile requires before it builds anything (the catalogues' .mo files
    # it compiles itself) is in the tarball.
    checked = re.findall(r"test -f (\S+)", (ROOT / "Dockerfile").read_text())
    required = [path for path in checked if not path.endswith(".mo")]
    assert required and all(f"meet/{path}" in names for path in required)


def test_only_static_vendor_is_taken_and_the_other_exclusions_hold(tmp_path: Path) -> None:
    files = {
        "LICENSE": True,
        "static/vendor/lib/lib.min.js": True,
        "static/vendor/lib/LICENSE": True,
        "static/app.js": True,
        "meet/vendor/fetched.py": False,  # a dependency manager's download, not ours
        "scripts/vendor/tool.sh": False,
        "meet/__pycache__/x.cpython-311.pyc": False,
        "locale/vi/LC_MESSAGES/django.mo": False,
        "static/.DS_Store": False,
        "var/meet.sqlite3": False,
    }
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    with tarfile.open(fileobj=io.BytesIO(source_archive(tmp_path)), mode="r:gz") as archive:
        names = set(archive.getnames())
    assert names == {f"meet/{name}" for name, taken in files.items() if taken}
