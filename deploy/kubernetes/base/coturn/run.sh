#!/bin/sh
# The compose `coturn` service's entry point: turnserver with the configuration file
# MEET_TURN_CONF (default /etc/coturn/turnserver.conf) and the given arguments, and a
# SIGUSR2 (coturn re-reads its TLS certificate and key, keeping its allocations) whenever
# certbot replaced the certificate file named by MEET_TLS_CERT. A stop (SIGTERM) stops
# turnserver and ends with its status.
#
# The shared secret is MEET_TURN_SECRET, written into a private copy of the file (mode
# 0600): on the command line every local user would see it in `ps`. coturn accepts every
# static-auth-secret it is given, so any such line of the file (an old placeholder) and
# of the arguments is left out: MEET_TURN_SECRET is the only one.
# Used by the compose service and by deploy/systemd/coturn.service.d/meet.conf.
set -u

if [ -z "${MEET_TURN_SECRET:-}" ]; then
    echo "run.sh: set MEET_TURN_SECRET (the web's MEET_TURN_SECRET, 32+ random characters)" >&2
    exit 2
fi
for arg in "$@"; do
    case "$arg" in
        --static-auth-secret*)
            echo "run.sh: give the secret as MEET_TURN_SECRET, not on the command line" >&2
            exit 2 ;;
    esac
done
umask 077
conf=$(mktemp)
grep -v -E '^[[:space:]]*static-auth-secret' "${MEET_TURN_CONF:-/etc/coturn/turnserver.conf}" >"$conf"
printf 'static-auth-secret=%s\n' "$MEET_TURN_SECRET" >>"$conf"

turnserver -c "$conf" "$@" &
pid=$!
sleeper=""
stop() {
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    status=$?
    rm -f "$conf"
    exit "$status"
}
trap stop TERM INT
# `systemctl kill --signal=USR2` or `docker kill -s USR2` reach this shell too: pass it on.
trap 'kill -USR2 "$pid" 2>/dev/null' USR2

last=$(stat -L -c %Y "${MEET_TLS_CERT:-}" 2>/dev/null || echo 0)
while kill -0 "$pid" 2>/dev/null; do
    sleep 60 &
    sleeper=$!
    wait "$sleeper"
    now=$(stat -L -c %Y "${MEET_TLS_CERT:-}" 2>/dev/null || echo 0)
    if [ "$now" != "$last" ]; then
        last=$now
        kill -USR2 "$pid" 2>/dev/null
    fi
done
wait "$pid"
