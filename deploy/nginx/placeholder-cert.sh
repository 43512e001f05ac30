#!/bin/sh
# Until certbot has obtained the real certificate, nginx (and coturn) start on a self-signed
# placeholder for MEET_ROOM_HOST and MEET_TURN_HOST, written where the real one will be.
# The nginx image runs this from /docker-entrypoint.d/ before nginx starts; on a VM run it
# once before the first `systemctl start nginx`. A certificate already there is left alone.
#
# The placeholder's folder holds a `meet-placeholder` file: deploy/certbot/obtain removes
# such a folder (and only such a one) before asking Let's Encrypt, since certbot refuses
# to write into a live/ folder it did not create.
#
# In the image it also starts a watcher: when the certificate file changes (certbot
# obtained or renewed it), nginx reloads.
set -eu

: "${MEET_ROOM_HOST:?set MEET_ROOM_HOST}"
turn_host="${MEET_TURN_HOST:-turn.$MEET_ROOM_HOST}"
cert="${MEET_TLS_CERT:-/etc/letsencrypt/live/$MEET_ROOM_HOST/fullchain.pem}"
key="${MEET_TLS_KEY:-/etc/letsencrypt/live/$MEET_ROOM_HOST/privkey.pem}"
# coturn must read the key (nobody:nogroup in its image, turnserver on Debian); nginx's
# master runs as root. deploy/certbot/deploy-hook does the same for the real certificate.
if [ -n "${MEET_TLS_KEY_GROUP:-}" ]; then
    key_group=$MEET_TLS_KEY_GROUP
elif getent group turnserver >/dev/null 2>&1; then
    key_group=turnserver
else
    key_group=65534
fi

if [ ! -s "$cert" ] || [ ! -s "$key" ]; then
    dir=$(dirname "$cert")
    mkdir -p "$dir" "$(dirname "$key")"
    echo "placeholder-cert: no certificate at $cert yet; writing a self-signed placeholder"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
        -subj "/CN=$MEET_ROOM_HOST" \
        -addext "subjectAltName=DNS:$MEET_ROOM_HOST,DNS:$turn_host" \
        -keyout "$key" -out "$cert" 2>/dev/null
    chgrp "$key_group" "$key" 2>/dev/null || true
    chmod 0640 "$key"
    echo "self-signed by deploy/nginx/placeholder-cert.sh" >"$dir/meet-placeholder"
fi

if [ "${MEET_PROXY_WATCH_CERT:-}" = "1" ]; then
    (
        last=$(stat -L -c %Y "$cert" 2>/dev/null || echo 0)
        while sleep 60; do
            now=$(stat -L -c %Y "$cert" 2>/dev/null || echo 0)
            if [ "$now" != "$last" ]; then
                last=$now
                echo "placeholder-cert: $cert changed; reloading nginx"
                nginx -s reload || true
            fi
        done
    ) &
fi
