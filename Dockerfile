# The web process of meet (HTTP + WebSocket in one daphne process).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MEET_VAR_DIR=/var/lib/meet
WORKDIR /app
# Every runtime dependency at the version and hashes of the lock (scripts/lock writes it):
# its own layer, rebuilt only when the lock changes.
COPY requirements/lock.txt requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/lock.txt
# The media worker's fan-out has a small C helper (mediaworker/forwarding/fanout.c: 2.7
# times the subscribers per core, docs/benchmarks.md), compiled when meet is installed
# below: gcc for that step only, removed in the same layer.
COPY pyproject.toml setup.py README.md LICENSE ./
COPY meet meet
COPY identity identity
COPY rooms rooms
COPY scheduling scheduling
COPY signaling signaling
COPY broadcasts broadcasts
COPY archive archive
COPY competitions competitions
COPY courses courses
COPY mediaworker mediaworker
COPY realtime realtime
COPY placement placement
COPY charts charts
COPY templates templates
COPY static static
COPY locale locale
# The user `meet` has the uid the first system user gets anyway (999), written out: the
# Kubernetes manifests run as that number (deploy/kubernetes/, runAsUser) and existing
# volumes stay its own.
# meet itself adds nothing to the lock (--no-deps; pip check proves the lock complete).
# Editable, so the settings find templates/ and static/ here in /app (the watch page's
# hls.js is vendored in static/vendor/: no npm). The catalogues are compiled here, as
# root: /app stays root's and read-only to `meet`, whose `meet setup` then finds them up
# to date (.dockerignore keeps a developer's own .mo files out of the build).
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install --no-cache-dir --no-deps -e . \
    && python -c "import mediaworker.forwarding._fanout" \
    && apt-get purge -y --auto-remove gcc libc6-dev && rm -rf /var/lib/apt/lists/* build \
    && pip check \
    && test -f static/vendor/hls.js/hls.min.js \
    && python -c "from pathlib import Path; from meet.i18n import compile_catalogues; compile_catalogues(Path('/app'))" \
    && test -f locale/vi/LC_MESSAGES/django.mo \
    && useradd --system --uid 999 --home /var/lib/meet meet \
    && mkdir -p /var/lib/meet && chown meet /var/lib/meet
USER meet
EXPOSE 8000
# Migrations and the province directory are idempotent: safe on every start. New unit
# logins are listed without passwords (production): `meet reset_room_password SLUG`.
CMD ["sh", "-c", "meet setup --no-demo && meet collectstatic --noinput -v0 && HOST=0.0.0.0 meet serve"]
