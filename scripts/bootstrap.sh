# Shared set-up steps of scripts/run and scripts/test (sourced, not run).
# Creates .venv with Python 3.11 and installs the project into it when pyproject.toml changed.

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_venv() {  # ensure_venv [extras]: the runtime lock, or with "dev" the dev lock
  local extras="${1:-}" lock="requirements/lock.txt" stamp=".venv/.meet-installed"
  [ -n "$extras" ] && lock="requirements/dev-lock.txt"
  if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      echo "Installing python3-venv (Debian leaves it out of the base system)..."
      apt_install python3-venv || { echo "Please install python3-venv, then run this again." >&2; exit 1; }
      "$PYTHON" -m venv .venv
    fi
  fi
  local want
  # The fan-out's C helper is compiled by that install: a change to it installs again.
  want="$(cat pyproject.toml setup.py mediaworker/forwarding/fanout.c \
    mediaworker/forwarding/fanout_build.py "$lock" | sha256sum | cut -c1-16)-$extras"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "Installing meet and its dependencies (pinned in $lock) into .venv ..."
    # Every dependency at the lock's version, each file checked against the lock's hashes
    # (scripts/lock writes both files), then meet itself, editable, with nothing more.
    .venv/bin/python -m pip install -q --require-hashes -r "$lock"
    .venv/bin/python -m pip install -q --no-deps -e .
    echo "$want" > "$stamp"
  fi
}
