#!/bin/bash
# Uses the certificate in /etc/videocall-proxy/tls (fullchain.pem, privkey.pem: mount yours
# there); without one, makes a self-signed one for localhost and `proxy` (30 days) once.
set -euo pipefail
tls=/etc/videocall-proxy/tls
if [ ! -s "$tls/fullchain.pem" ]; then
  mkdir -p "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,DNS:proxy,IP:127.0.0.1" \
    -keyout "$tls/privkey.pem" -out "$tls/fullchain.pem" 2> /dev/null
  chmod 600 "$tls/privkey.pem"
  echo "proxy-entrypoint: made a self-signed certificate for localhost"
fi
exec nginx -g "daemon off;"
