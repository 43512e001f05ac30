"""The ``meet`` command: set up and run the product, or run any Django command.

meet run      set up (migrate, provinces, rooms, demo data) and serve on $PORT
meet setup    only the set-up step (idempotent)
meet serve    only serve: one daphne process for HTTP and WebSocket
meet media    run the media worker as its own process (with REDIS_URL; see docs/media.md);
              --workers N runs N of them, one per core
meet <cmd>    any Django management command (migrate, import_units, ...)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

DEFAULT_PORT = 8000


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meet.settings")
    import django

    django.setup()


def setup(*, demo: bool) -> None:
    """Compile translations, migrate, load provinces, allocate rooms, load demo data.

    Compiling leaves an up-to-date tree alone and never fails on a read-only one (the
    Docker image compiles at build time; meet/i18n.py).
    """
    from meet.i18n import compile_catalogues

    compile_catalogues(Path(__file__).resolve().parent.parent)
    _hls_js()
    _django()
    from django.conf import settings
    from django.core.management import call_command

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_provinces")
    if demo and not settings.PRODUCTION:
        call_command("load_demo")
        call_command("load_demo_schedule")
        call_command("load_demo_archive")
    else:
        # A production start (the container's command) logs no passwords: the operator
        # gives a unit its password with `meet reset_room_password SLUG`.
        call_command("allocate_rooms", no_passwords=settings.PRODUCTION)
    call_command("extend_schedule", verbosity=0)


def _hls_js() -> None:
    """Say so when the watch page's vendored player is missing (a trimmed copy of the tree)."""
    from broadcasts.vendor import hls_installed, vendor_dir

    if not hls_installed():
        print(f"hls.js is missing from {vendor_dir()}: the watch page uses the browser's own HLS")


def serve(*, host: str, port: int) -> None:
    """Serve HTTP and WebSocket from one daphne process (replaces this process)."""
    from mediaworker.logs import log_format

    daphne = [sys.executable, "-m", "daphne", "-b", host, "-p", str(port)]
    said = f"meet is running at http://{host}:{port}/"
    if log_format() == "json":
        # One JSON object per line: daphne's own access lines (plain text) are replaced
        # by meet.access records carrying the request id (meet/logs.py).
        daphne += ["--access-log", os.devnull]
        print(json.dumps({"level": "INFO", "logger": "meet.cli", "message": said}), flush=True)
    else:
        print(f"{said}  (Ctrl+C stops it)", flush=True)
    if os.environ.get("MEET_MODE") != "production":
        os.environ.setdefault("MEET_START_SCHEDULER", "1")
    # Consumers reach the database from one thread: keep its connection instead of
    # opening one per call (Django's default, 0, is for request-per-thread servers).
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")
    # No --proxy-headers: daphne would believe X-Forwarded-For from anyone. meet/proxies.py
    # believes it only from MEET_TRUSTED_PROXIES.
    os.execvp(sys.executable, [*daphne, "meet.asgi:application"])


def media(args: list[str]) -> None:
    """Run the media worker until SIGINT/SIGTERM; ``--workers N`` runs N (one per core)."""
    # No django.setup(): the worker reads its own environment and builds its own Redis
    # layer (mediaworker/standalone.py), so it needs no settings, database or secret.
    if "--workers" in args:
        from mediaworker.fleet import run_fleet

        at = args.index("--workers") + 1
        count = args[at] if at < len(args) else ""
        if not count.isdigit():
            raise SystemExit("meet media --workers needs a number: meet media --workers 4")
        try:
            raise SystemExit(run_fleet(int(count)))
        except ValueError as problem:
            raise SystemExit(str(problem)) from None
    from mediaworker.standalone import main as run_media_worker

    run_media_worker()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``meet`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "help"
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", DEFAULT_PORT))
    if command == "run":
        setup(demo="--no-demo" not in args)
        serve(host=host, port=port)
    elif command == "setup":
        setup(demo="--no-demo" not in args)
    elif command == "serve":
        serve(host=host, port=port)
    elif command == "media":
        media(args[1:])
    elif command in {"help", "-h", "--help"}:
        print(__doc__)
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meet.settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(["meet", *args])


if __name__ == "__main__":
    main()
