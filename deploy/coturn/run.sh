#!/bin/sh
# The compose `coturn` service's entry point: turnserver with the given arguments, and a
# SIGUSR2 (coturn re-reads its TLS certificate and key, keeping its allocations) whenever
# certbot replaced the certificate file named by MEET_TLS_CERT. A stop (SIGTERM) stops
# turnserver and ends with its status.
set -u

turnserver "$@" &
pid=$!
sleeper=""
stop() {
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    exit $?
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
