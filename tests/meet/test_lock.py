"""Issue 12: the lock files pin what pyproject.toml asks for, and every install uses them.

requirements/lock.txt (runtime: the image) and requirements/dev-lock.txt (runtime + dev:
scripts/run, scripts/test, CI) are written by scripts/lock; these tests catch a lock that
pyproject.toml has moved away from, a venv that is not the lock's, and an install that
would resolve versions of its own.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT

RUNTIME_LOCK = ROOT / "requirements" / "lock.txt"
DEV_LOCK = ROOT / "requirements" / "dev-lock.txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?:\s|$)", re.MULTILINE)
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def _pins(lock: Path) -> dict[str, str]:
    text = lock.read_text()
    return {str(canonicalize_name(name)): version for name, version in _PIN.findall(text)}


def _requirements(group: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = (
        project["dependencies"] if group == "runtime" else project["optional-dependencies"][group]
    )
    return [Requirement(line) for line in wanted]


def _entries(lock: Path) -> list[str]:
    """One string per pinned distribution: its line and its continuation lines."""
    text = lock.read_text().replace("\\\n", " ")
    return [line for line in text.splitlines() if line and not line.lstrip().startswith("#")]


@pytest.mark.parametrize(
    ("groups", "lock"),
    [(["runtime"], RUNTIME_LOCK), (["runtime", "dev"], DEV_LOCK)],
    ids=["lock.txt", "dev-lock.txt"],
)
def test_every_requirement_is_pinned_inside_its_range(groups: list[str], lock: Path) -> None:
    pins = _pins(lock)
    for requirement in [r for group in groups for r in _requirements(group)]:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in {lock.name}: run ./scripts/lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock.name} pins {name}=={pins[name]}, outside {requirement}: run ./scripts/lock"
        )


def test_every_pin_is_exact_and_hashed() -> None:
    """pip's hash-checking mode (--require-hashes) refuses a lock with one entry unhashed."""
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        entries = _entries(lock)
        assert len(entries) == len(_pins(lock)) > 0, f"{lock.name} has an unpinned line"
        unhashed = [entry.split()[0] for entry in entries if not _HASH.search(entry)]
        assert unhashed == [], f"{lock.name}: no hash for {unhashed}"
        # A local version label (torch's "+cpu") exists only on some machine's own index.
        local = {name: v for name, v in _pins(lock).items() if "+" in v or "@" in v}
        assert local == {}, f"{lock.name} pins versions public PyPI does not have: {local}"


def test_the_image_and_ci_get_the_same_runtime_versions() -> None:
    dev = _pins(DEV_LOCK)
    differ = {
        name: (v, dev.get(name)) for name, v in _pins(RUNTIME_LOCK).items() if dev.get(name) != v
    }
    assert differ == {}, f"lock.txt and dev-lock.txt disagree (runtime, dev): {differ}"


def test_the_running_venv_has_the_locks_versions() -> None:
    """What the tests run on is what the lock says (scripts/test installs from it)."""
    installed = {
        str(canonicalize_name(dist.metadata["Name"])): dist.version
        for dist in metadata.distributions()
    }
    pins = _pins(DEV_LOCK)
    differ = {
        name: (version, installed[name])
        for name, version in pins.items()
        if name in installed and Version(installed[name]) != Version(version)
    }
    assert differ == {}, f"installed versions differ from dev-lock.txt (lock, venv): {differ}"
    assert {"django", "aiortc", "twisted"} <= installed.keys() & pins.keys()


def test_the_image_installs_from_the_runtime_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    assert re.search(r"^COPY requirements/lock\.txt ", dockerfile, re.MULTILINE)
    installs = re.findall(r"pip install[^&\n]*", dockerfile)
    assert any("--require-hashes -r requirements/lock.txt" in line for line in installs), installs
    # Any other install must add no version of its own: only meet itself, without deps.
    others = [line for line in installs if "-r requirements/lock.txt" not in line]
    assert others and all("--no-deps" in line for line in others), others


def _fake_python(folder: Path) -> Path:
    """A stand-in for .venv/bin/python that records each call (no network, no install)."""
    log = folder / "calls.log"
    python = folder / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    python.chmod(0o755)
    return log


def _ensure_venv(folder: Path, extras: str) -> None:
    script = f'. "{ROOT}/scripts/bootstrap.sh"; ensure_venv {extras}'
    subprocess.run(
        ["bash", "-c", script],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=30,
        env={**os.environ, "PYTHON": "false"},
    )


def test_the_setup_installs_from_the_lock_again_only_when_it_changes(tmp_path: Path) -> None:
    """scripts/run and scripts/test (ensure_venv): the lock with its hashes, then meet alone."""
    (tmp_path / "requirements").mkdir()
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        (tmp_path / "requirements" / lock.name).write_text(lock.read_text())
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    log = _fake_python(tmp_path)

    _ensure_venv(tmp_path, "dev")
    assert log.read_text().splitlines() == [
        "-m pip install -q --require-hashes -r requirements/dev-lock.txt",
        "-m pip install -q --no-deps -e .",
    ]
    _ensure_venv(tmp_path, "dev")
    assert len(log.read_text().splitlines()) == 2, "installed again with nothing changed"

    dev_lock = tmp_path / "requirements" / "dev-lock.txt"
    dev_lock.write_text(dev_lock.read_text() + "\n")
    _ensure_venv(tmp_path, "dev")
    assert len(log.read_text().splitlines()) == 4, "a changed lock was not installed"

    _ensure_venv(tmp_path, "")
    assert log.read_text().splitlines()[4] == (
        "-m pip install -q --require-hashes -r requirements/lock.txt"
    )


def _aiortc_guards() -> dict[str, str]:
    guarded = {}
    for path in sorted((ROOT / "mediaworker").rglob("*.py")):
        found = re.findall(r'aiortc\.__version__\.startswith\("([^"]+)"\)', path.read_text())
        guarded.update({str(path.relative_to(ROOT)): prefix for prefix in found})
    return guarded


def test_the_version_guards_accept_the_pinned_versions() -> None:
    """Code reaching into a library's internals refuses other releases; the lock must pin
    releases those guards accept (realtime/prepared.py: daphne, autobahn, Twisted;
    the media worker's forwarding and recorder: aiortc)."""
    from realtime.prepared import WRITTEN_FOR

    pins = _pins(DEV_LOCK)
    assert set(WRITTEN_FOR) == {"daphne", "autobahn", "twisted"}
    for name, prefix in WRITTEN_FOR.items():
        assert pins[name].startswith(prefix), f"{name}=={pins[name]}; written for {prefix}x"
    guards = _aiortc_guards()
    assert len(guards) >= 2, guards
    for path, prefix in guards.items():
        assert pins["aiortc"].startswith(prefix), (
            f"{path} accepts {prefix}x, lock has {pins['aiortc']}"
        )
