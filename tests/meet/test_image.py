"""The Dockerfile copies every package the project installs (a move must not leave one out)."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def test_the_image_copies_every_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        pattern.rstrip("*")
        for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = set(re.findall(r"^COPY (\S+) \1$", (ROOT / "Dockerfile").read_text(), re.MULTILINE))
    assert packages, "pyproject names no package"
    assert packages <= copied, f"the Dockerfile does not copy {sorted(packages - copied)}"
    assert all((ROOT / name).is_dir() for name in copied), (
        "the Dockerfile copies a folder that is gone"
    )


def test_the_watch_pages_player_is_vendored_with_its_licence() -> None:
    """No npm at install time: hls.js, its source map and its licence are in the tree."""
    from broadcasts.vendor import HLS_JS_VERSION, vendor_dir

    folder = vendor_dir(ROOT)
    for name in ("hls.min.js", "hls.min.js.map", "LICENSE"):
        assert (folder / name).is_file(), name
    assert (folder / "VERSION").read_text().strip() == HLS_JS_VERSION
    assert "Apache License" in (folder / "LICENSE").read_text()
