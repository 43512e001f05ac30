"""Which ``meet`` subcommands exist: the CLI's own verbs and Django's management commands.

Deployment files (docker-compose.yml, deploy/systemd/) name them; a typo there would only
show on a server.
"""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def console_script() -> str:
    """The entry point pyproject gives the ``meet`` console script."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return str(project["project"]["scripts"]["meet"])


def cli_verbs() -> set[str]:
    """The verbs meet/cli.py handles itself (its docstring lists each as ``meet <verb>``)."""
    import meet.cli

    return set(re.findall(r"^meet ([a-z_]+)\s", meet.cli.__doc__ or "", re.MULTILINE))


def meet_subcommand_exists(name: str) -> bool:
    """Whether ``meet <name>`` runs something: a CLI verb or a management command."""
    from django.core.management import get_commands

    return name in cli_verbs() or name in get_commands()
