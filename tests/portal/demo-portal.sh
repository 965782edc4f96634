#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A portal for the demo: the stand-in over TLS (a throw-away CA), with an init and one
# authorization for a given client, ready for the gateway's portal module.
#
#   demo-portal.sh start STATE_DIR CLIENT_PUBLIC_KEY
#   demo-portal.sh stop STATE_DIR
#
# start makes STATE_DIR (CA, certificate, preshared key, logs), starts the stand-in in the
# background in the current network namespace (run it under `ip netns exec NS` to place it),
# and prints shell assignments for the gateway and the client:
#   FIREZONE_API_URL=wss://localhost:PORT   FIREZONE_TOKEN=...   PORTAL_CA_FILE=STATE_DIR/ca.pem
#   PORTAL_PSK_FILE=STATE_DIR/client.psk     (the client's WireGuard preshared key)
#   PORTAL_STANDIN_PID=...
# The gateway's module entry: { name = "portal"; settings = { ca_file = "$PORTAL_CA_FILE"; }; }
# (the URL and the token come from the environment). After every join the stand-in sends init
# (the gateway's tunnel addresses, listing the authorization) and create_authorization for the
# client: one resource, TCP and ICMP to DEMO_RESOURCE.
# Env (defaults): DEMO_PORT (8443), DEMO_LISTEN (127.0.0.1), DEMO_TOKEN (demo-token),
#   DEMO_GW_IPV4/DEMO_GW_IPV6 (100.64.0.1, fd00:2021:1111::1), DEMO_CLIENT_IPV4/DEMO_CLIENT_IPV6
#   (100.64.0.2, fd00:2021:1111::2), DEMO_RESOURCE (10.200.0.0/24), DEMO_PSK (a new one).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

usage() { sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2

if [ "$cmd" = stop ]; then
  [ -f "$dir/standin.pid" ] && kill "$(cat "$dir/standin.pid")" 2>/dev/null || true
  rm -f "$dir/standin.pid" "$dir/ctl.sock"
  exit 0
fi
[ "$cmd" = start ] && [ $# -ge 3 ] || usage
client_key=$3
port=${DEMO_PORT:-8443}
listen=${DEMO_LISTEN:-127.0.0.1}
token=${DEMO_TOKEN:-demo-token}
gw4=${DEMO_GW_IPV4:-100.64.0.1} gw6=${DEMO_GW_IPV6:-fd00:2021:1111::1}
c4=${DEMO_CLIENT_IPV4:-100.64.0.2} c6=${DEMO_CLIENT_IPV6:-fd00:2021:1111::2}
res=${DEMO_RESOURCE:-10.200.0.0/24}
client_id=c0c0c0c0-0000-4000-8000-0000000000de
res_id=a0a0a0a0-0000-4000-8000-0000000000de

"$PY" -c 'import base64, sys; assert len(base64.b64decode(sys.argv[1], validate=True)) == 32' \
  "$client_key" 2>/dev/null || { echo "not a WireGuard public key: $client_key" >&2; exit 64; }
"$PY" -c 'import websockets' 2>/dev/null ||
  { echo "needs python3-websockets (scripts/lib/deps.sh NET_PACKAGES)" >&2; exit 69; }
mkdir -p "$dir"
chmod 0700 "$dir"
( cd "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=firezone-gateway demo CA" -keyout ca.key -out ca.pem \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
    -keyout server.key -out server.csr
  san="DNS:localhost,IP:127.0.0.1,IP:::1"
  case "$listen" in 127.0.0.1 | ::1) ;; *[!0-9a-fA-F:.]*) san="$san,DNS:$listen" ;; *) san="$san,IP:$listen" ;; esac
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >ext.cnf
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile ext.cnf -out server.pem ) >"$dir/openssl.log" 2>&1
if [ -n "${DEMO_PSK:-}" ]; then
  printf '%s\n' "$DEMO_PSK" >"$dir/client.psk"
else
  "$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())' >"$dir/client.psk"
fi
chmod 0600 "$dir/client.psk"
psk=$(cat "$dir/client.psk")

cat >"$dir/init.json" <<JSON
{"interface": {"ipv4": "$gw4", "ipv6": "$gw6"},
 "config": {"ipv4_masquerade_enabled": true, "ipv6_masquerade_enabled": true},
 "account_slug": "demo", "relays": [],
 "authorizations": [{"client_id": "$client_id", "resource_id": "$res_id", "expires_at": 0}],
 "flow_logs": {"api_url": "https://flow.invalid", "upload_interval_secs": 0, "upload_batch_size": 0}}
JSON
cat >"$dir/on-join.json" <<JSON
[{"event": "create_authorization", "payload": {
  "ref": "demo-authorization",
  "client": {"id": "$client_id", "public_key": "$client_key", "preshared_key": "$psk",
             "ipv4": "$c4", "ipv6": "$c6", "version": "1.5.0"},
  "resource": {"id": "$res_id", "type": "cidr", "name": "demo network", "address": "$res",
               "filters": [{"protocol": "tcp"}, {"protocol": "icmp"}]},
  "gateway_ice_credentials": {"username": "demo", "password": "demo-gateway-ice-password"},
  "client_ice_credentials": {"username": "demc", "password": "demo-client-ice-password"},
  "expires_at": null, "flow_logs_ingest_token": "demo"}}]
JSON

rm -f "$dir/ctl.sock"
"$PY" "$HERE/standin.py" --listen "$listen:$port" --cert "$dir/server.pem" --key "$dir/server.key" \
  --token "$token" --control "$dir/ctl.sock" --log "$dir/standin.jsonl" --init "$dir/init.json" \
  --on-join "$dir/on-join.json" >"$dir/standin.log" 2>&1 </dev/null &
echo $! >"$dir/standin.pid"
for _ in $(seq 1 100); do
  grep -q '"listening"' "$dir/standin.jsonl" 2>/dev/null && break
  sleep 0.05
done
grep -q '"listening"' "$dir/standin.jsonl" 2>/dev/null || { cat "$dir/standin.log" >&2; exit 1; }
host=localhost
[ "$listen" = 127.0.0.1 ] || [ "$listen" = ::1 ] || host=$listen
cat <<ENV
FIREZONE_API_URL=wss://$host:$port
FIREZONE_TOKEN=$token
PORTAL_CA_FILE=$dir/ca.pem
PORTAL_PSK_FILE=$dir/client.psk
PORTAL_STANDIN_PID=$(cat "$dir/standin.pid")
ENV
