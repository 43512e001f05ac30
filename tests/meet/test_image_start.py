"""Issue 12: the Docker image starts on a fresh clone.

The container runs `meet setup` as `meet` on a tree (/app) that root owns: its first step,
compiling the catalogues, must neither write an up-to-date tree nor crash on a stale one.
Docker is not needed: the tree is copied to a temporary folder, made read-only and the
step is run there the way the container's command runs it (a fresh process).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

# The image's build step and `meet setup`'s first step: compile_catalogues(<the project>).
STEP = (
    "from pathlib import Path; import meet.cli; from meet.i18n import compile_catalogues; "
    "print(compile_catalogues(Path(meet.cli.__file__).resolve().parent.parent))"
)
_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "var", "node_modules", "*.mo", "__pycache__", ".*_cache", "tests", "bench"
)
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_FOWNER = 1, 3


def _without_override() -> None:
    """In the child, before exec: root (CI, this machine) must obey permission bits too."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_FOWNER):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _run_step(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", STEP],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_without_override,
    )


def _read_only(tree: Path) -> None:
    for path in [tree, *tree.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    """A fresh clone's tree: the project without its compiled catalogues."""
    copy = tmp_path / "app"
    shutil.copytree(ROOT, copy, ignore=_IGNORED)
    yield copy
    for path in [copy, *copy.rglob("*")]:  # let pytest remove it
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def _catalogues(tree: Path, suffix: str) -> list[Path]:
    return [p for p in tree.rglob(f"*{suffix}") if "LC_MESSAGES" in p.parts]


def test_a_read_only_tree_with_stale_catalogues_starts_and_says_so_once(tree: Path) -> None:
    _read_only(tree)
    done = _run_step(tree)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
    assert _catalogues(tree, ".mo") == []
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "read-only" in lines[0] and "locale/vi/LC_MESSAGES/django.mo" in lines[0]


def test_the_image_compiles_at_build_then_a_read_only_start_only_reads(tree: Path) -> None:
    built = _run_step(tree)  # the RUN step, as root, before USER
    assert built.returncode == 0, built.stderr
    assert int(built.stdout) == len(_catalogues(tree, ".po")) > 0
    compiled = {p: p.stat().st_mtime_ns for p in _catalogues(tree, ".mo")}
    _read_only(tree)
    started = _run_step(tree)  # `meet setup` as `meet`
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "0"
    assert started.stderr.strip() == ""
    assert {p: p.stat().st_mtime_ns for p in _catalogues(tree, ".mo")} == compiled


def test_the_image_takes_no_compiled_catalogue_from_the_checkout() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"**/*.mo", ".git", ".venv", "var"} <= set(ignored)
    dockerfile = (ROOT / "Dockerfile").read_text()
    build, _, start = dockerfile.partition("\nUSER meet\n")
    assert "compile_catalogues" in build and start
