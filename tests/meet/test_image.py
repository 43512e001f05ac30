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
