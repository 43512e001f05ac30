"""Reaching into the live server of the browser tests: its folder, its database, its end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT


def live_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live server's MEET_VAR_DIR (made by the ``live_url`` fixture)."""
    var_dirs = sorted(tmp_path_factory.getbasetemp().glob("e2e-var*"))
    assert var_dirs, "the live server's folder was not found"
    return var_dirs[-1]


def stop_process(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it has not exited ten seconds later."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def meet_shell(
    code: str, *, database: str, var_dir: Path, answers: bool = True, **extra: str
) -> Any:
    """Run ``code`` with ``meet shell`` on the live server's database and folder.

    ``extra`` become environment variables. With ``answers``, the result is the JSON
    that ``code`` printed last.
    """
    env = {**os.environ, "DATABASE_URL": database, "MEET_VAR_DIR": str(var_dir), **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-m", "meet", "shell", "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]) if answers else None
