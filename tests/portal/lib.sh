# SPDX-License-Identifier: Apache-2.0
# Helpers of the portal tests: a throw-away CA, the stand-in, the gateway's config. Source it.
#
#   pz_ca DIR                 CA and a server certificate for localhost/127.0.0.1/::1 in DIR
#   pz_standin_start DIR PORT [tls|plain] [ARGS...]
#                             the stand-in on PORT (127.0.0.1), control socket DIR/ctl.sock,
#                             log DIR/standin.log, token $PZ_TOKEN; PID in PZ_STANDIN_PID
#   pz_ctl DIR 'JSON'         one control command; prints the answer; fails unless "ok"
#   pz_gw_conf DIR URL [EXTRA] writes DIR/gateway.conf: filter + portal (EXTRA: more portal keys)
#   pz_count DIR KIND [EVENT] how many log lines of that kind (and event) the stand-in wrote
PZ_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PZ_PY=/usr/bin/python3
PZ_STANDIN="$PZ_LIB/standin.py"
PZ_TOKEN=${PZ_TOKEN:-test-token.abc}

pz_ca() {
  local d=$1
  ( cd "$d" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=fzgw test CA" -keyout ca.key -out ca.pem \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign >/dev/null 2>&1 &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
      -keyout server.key -out server.csr >/dev/null 2>&1 &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile ext.cnf -out server.pem >/dev/null 2>&1 )
}

pz_standin_start() {
  local d=$1 port=$2 mode=${3:-tls} i
  shift 3 2>/dev/null || shift $#
  local tls=()
  [ "$mode" = tls ] && tls=(--cert "$d/server.pem" --key "$d/server.key")
  rm -f "$d/ctl.sock"
  "$PZ_PY" "$PZ_STANDIN" --listen "127.0.0.1:$port" "${tls[@]}" --token "$PZ_TOKEN" \
    --control "$d/ctl.sock" --log "$d/standin.log" "$@" >"$d/standin.out" 2>&1 &
  PZ_STANDIN_PID=$!
  for i in $(seq 1 100); do
    [ -S "$d/ctl.sock" ] && grep -q '"listening"' "$d/standin.log" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "# the stand-in did not start: $(cat "$d/standin.out")" >&2
  return 1
}

pz_ctl() {
  "$PZ_PY" "$PZ_STANDIN" ctl "$1/ctl.sock" "$2"
}

pz_count() {
  local d=$1 kind=$2 ev=${3:-}
  if [ -n "$ev" ]; then
    grep -c "\"kind\": \"$kind\", \"msg\": {\"event\": \"$ev\"" "$d/standin.log" || true
  else
    grep -c "\"kind\": \"$kind\"" "$d/standin.log" || true
  fi
}

# pz_gw_conf DIR URL [EXTRA-PORTAL-KEYS] [TUN]
pz_gw_conf() {
  local d=$1 url=$2 extra=${3:-} tun=${4:-fzpt0}
  cat >"$d/gateway.conf" <<CONF
# written by tests/portal/lib.sh
gateway = {
  tun = { name = "$tun"; mtu = 1280; };
  listen_port = 51820;
  log = { level = "${PZ_LOG_LEVEL:-debug}"; format = "human"; };
};
modules = (
  { name = "filter"; },
  { name = "portal";
    settings = {
      api_url = "$url";
      id = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
      name = "gw-under-test";
      ca_file = "$d/ca.pem";
      $extra
    };
  }
);
CONF
}

# pz_init_json IPV4 IPV6 [AUTHORIZATIONS-JSON] [RELAYS-JSON]
pz_init_json() {
  printf '{"interface":{"ipv4":"%s","ipv6":"%s"},"config":{"ipv4_masquerade_enabled":true,"ipv6_masquerade_enabled":true},"account_slug":"test","relays":%s,"authorizations":%s,"flow_logs":{"api_url":"https://flow.example","upload_interval_secs":0,"upload_batch_size":0}}' \
    "$1" "$2" "${4:-[]}" "${3:-[]}"
}
