"""Issue 12: the installation guide and the README name commands that exist.

docs/deploy.md is followed by an IT officer typing its commands: a `meet` subcommand that
was renamed or removed must fail here, not on a department's server.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import get_commands

from tests.conftest import ROOT

# meet/cli.py's own subcommands; everything else goes to Django's management commands.
CLI_COMMANDS = {"run", "setup", "serve", "media", "help"}
# A command line that runs `meet`: at its start, after `&&`, or after `docker compose exec web`.
_MEET_COMMAND = re.compile(
    r"(?:^\s*|&& |docker compose exec (?:-T )?web )meet ([a-z][a-z_]+)", re.MULTILINE
)


def _named_commands(text: str) -> set[str]:
    code = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL))
    inline = "\n".join(re.findall(r"`([^`\n]+)`", text))
    return set(_MEET_COMMAND.findall(code + "\n" + inline))


@pytest.mark.parametrize("name", ["docs/deploy.md", "README.md"])
def test_every_meet_command_named_exists(name: str) -> None:
    named = _named_commands((ROOT / name).read_text())
    assert {"setup", "createsuperuser"} <= named or name == "README.md", named
    unknown = named - CLI_COMMANDS - set(get_commands())
    assert unknown == set(), f"{name} names `meet` commands that do not exist: {unknown}"


def test_the_guide_installs_from_the_lock() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    installs = re.findall(r"pip install [^\n]*", guide)
    assert installs, "the guide installs nothing"
    assert all(
        "--require-hashes -r requirements/lock.txt" in i or "--no-deps" in i for i in installs
    )


def test_the_readme_links_nothing_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)]+)\)", readme) + re.findall(r"<(https?://[^>]+)>", readme)
    outside = [
        t
        for t in targets
        if re.match(r"https?://(?!127\.0\.0\.1|localhost)", t) or t.startswith("..")
    ]
    assert outside == []
    assert "docs/deploy.md" in readme
    # The first two commands of the quick start are the scripts that exist.
    quick = re.search(r"## Quick start\n\n```sh\n(.*?)```", readme, re.DOTALL)
    assert quick and quick.group(1).split() == ["./scripts/run", "./scripts/test"]
    assert all((ROOT / "scripts" / s).is_file() for s in ("run", "test"))
