#!/bin/sh
# The compose `coturn` service's entry point: turnserver with the configuration file
# MEET_TURN_CONF (default /etc/coturn/turnserver.conf) and the given arguments, and a
# SIGUSR2 (coturn re-reads its TLS certificate and key, keeping its allocations) whenever
# certbot replaced the certificate file named by MEET_TLS_CERT. A stop (SIGTERM) stops
# turnserver and ends with its status.
#
# coturn accepts every static-auth-secret it is given, from the file and the command line
# alike: the one on the command line (MEET_TURN_SECRET) must be the only one, so any
# static-auth-secret line in the file (a placeholder nobody replaced) is left out.
set -u

conf=$(mktemp)
grep -v -E '^[[:space:]]*static-auth-secret' "${MEET_TURN_CONF:-/etc/coturn/turnserver.conf}" >"$conf"

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

last=$(stat -L -c %Y "$MEET_TLS_CERT" 2>/dev/null || echo 0)
while kill -0 "$pid" 2>/dev/null; do
    sleep 60 &
    sleeper=$!
    wait "$sleeper"
    now=$(stat -L -c %Y "$MEET_TLS_CERT" 2>/dev/null || echo 0)
    if [ "$now" != "$last" ]; then
        last=$now
        kill -USR2 "$pid" 2>/dev/null
    fi
done
wait "$pid"
