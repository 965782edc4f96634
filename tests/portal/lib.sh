# SPDX-License-Identifier: Apache-2.0
# Helpers of the portal tests, on top of tests/integration/lib/topo.sh (namespaces, clients,
# cleanup). Source it (bash); everything lives in $FZI_STATE and the fzi-ID-* namespaces.
#
#   pz_require                 skip (77) without root, namespaces, the tools or the binaries
#   pz_ca                      a throw-away CA and a certificate for localhost, 127.0.0.1, ::1
#   pz_standin_up [ARGS...]    the stand-in in the gateway's namespace, TLS on 127.0.0.1:$PZ_PORT
#                              (PZ_TLS=0: plain WebSocket), token $PZ_TOKEN
#   pz_ctl 'JSON'              one control command; prints the answer; fails unless "ok"
#   pz_gateway_conf [EXTRA]    $FZI_STATE/gateway.conf: filter + portal towards the stand-in
#   pz_gateway_start [ENV...]  the gateway in its namespace (PID in PZ_GW_PID), not waiting
#   pz_wait_log PATTERN [S]    until the gateway's log has a line matching PATTERN
#   pz_gw_exit [S]             waits for the gateway to exit: PZ_GW_RC = its code or "running"
#   pz_count KIND [EVENT]      log lines of the stand-in of that kind (and event)
#   pz_init_json V4 V6 [AUTHS] [RELAYS]   an init payload
PZ_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib/topo.sh
source "$PZ_LIB/../integration/lib/topo.sh"
PZ_PY=/usr/bin/python3
PZ_STANDIN="$PZ_LIB/standin.py"
PZ_TOKEN=${PZ_TOKEN:-test-token.abc}
PZ_PORT=${PZ_PORT:-8443}
PZ_TLS=${PZ_TLS:-1}
PZ_ID=6ba7b810-9dad-11d1-80b4-00c04fd430c8
# lowercase hex SHA-256 of PZ_ID: what the gateway must send as external_id
PZ_EXTERNAL_ID=e5855ff48799c52c9ccf80b82bab9492c347a316876dbeaafef22b0bd4fac13d

pz_require() {
  [ -n "${FZGW_BIN:-}" ] && [ -x "$FZGW_BIN" ] && [ -n "${MOD_DIR:-}" ] && [ -f "$MOD_DIR/portal.so" ] ||
    { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
  "$PZ_PY" -c 'import websockets' 2>/dev/null ||
    fzi_skip "no python3-websockets for $PZ_PY (scripts/lib/deps.sh NET_PACKAGES)"
  command -v openssl >/dev/null || fzi_skip "no openssl command"
  fzi_require "$@"
}

pz_ca() {
  local d=$FZI_STATE
  ( cd "$d" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=fzgw test CA" -keyout ca.key -out ca.pem \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
      -keyout server.key -out server.csr &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile ext.cnf -out server.pem ) >"$FZI_STATE/openssl.log" 2>&1
}

pz_standin_up() {
  local i tls=()
  [ "$PZ_TLS" = 1 ] && tls=(--cert "$FZI_STATE/server.pem" --key "$FZI_STATE/server.key")
  rm -f "$FZI_STATE/ctl.sock"
  fzi_start standin "$(fzi_ns gw)" "$PZ_PY" "$PZ_STANDIN" --listen "127.0.0.1:$PZ_PORT" "${tls[@]}" \
    --token "$PZ_TOKEN" --control "$FZI_STATE/ctl.sock" --log "$FZI_STATE/standin.jsonl" "$@"
  for i in $(seq 1 100); do
    [ -S "$FZI_STATE/ctl.sock" ] && grep -q '"listening"' "$FZI_STATE/standin.jsonl" 2>/dev/null && return 0
    sleep 0.05
  done
  fzi_log "the stand-in did not start: $(tail -n 5 "$FZI_STATE/standin.log")"
  return 1
}

pz_ctl() { # one line on the wire: newlines inside the JSON text go
  "$PZ_PY" "$PZ_STANDIN" ctl "$FZI_STATE/ctl.sock" "$(printf '%s' "$1" | tr -d '\n')"
}

pz_count() {
  if [ -n "${2:-}" ]; then
    grep -c "\"kind\": \"$1\", \"msg\": {\"event\": \"$2\"" "$FZI_STATE/standin.jsonl" || true
  else
    grep -c "\"kind\": \"$1\"" "$FZI_STATE/standin.jsonl" || true
  fi
}

pz_url() {
  if [ "$PZ_TLS" = 1 ]; then echo "wss://localhost:$PZ_PORT"; else echo "ws://127.0.0.1:$PZ_PORT"; fi
}

# pz_gateway_conf [EXTRA-PORTAL-KEYS [MODULE-ENTRY]]: filter + portal (+ MODULE-ENTRY, e.g.
# '{ name = "relay"; }'); the heartbeat is fast unless EXTRA says
pz_gateway_conf() {
  local extra=${1:-} more=${2:+,
  $2} hb='heartbeat_interval = "1s";' insecure=""
  case "$extra" in *heartbeat_interval*) hb="" ;; esac
  # a plain ws:// stand-in: the gateway refuses it unless told (the token travels in clear)
  [ "$PZ_TLS" = 1 ] || insecure="allow_insecure = true;"
  ( umask 077
    cat >"$FZI_STATE/gateway.conf" <<CONF
# written by tests/portal/lib.sh
gateway = {
  tun = { name = "$(fzi_gw_tun)"; mtu = $FZI_MTU; };
  listen_port = $FZI_WG_PORT;
  private_key_file = "$FZI_STATE/gateway.key";
  log = { level = "${PZ_LOG_LEVEL:-debug}"; format = "human"; };
};
modules = (
  { name = "filter"; },
  { name = "portal";
    settings = {
      api_url = "$(pz_url)";
      id = "$PZ_ID";
      name = "gw-under-test";
      ca_file = "$FZI_STATE/ca.pem";
      id_file = "$FZI_STATE/gateway_id";
      $hb
      $insecure
      $extra
    };
  }$more
);
CONF
  )
}

# pz_gateway_start [VAR=VALUE...]: extra environment for the gateway (FIREZONE_TOKEN is set)
pz_gateway_start() {
  fzi_keys 1
  # the logs of earlier runs stay readable (sanitizer reports are looked for at the end)
  [ -s "$FZI_STATE/gateway.log" ] && cat "$FZI_STATE/gateway.log" >>"$FZI_STATE/gateway.earlier.log"
  : >"$FZI_STATE/gateway.log"
  fzi_start gateway "$(fzi_ns gw)" env FIREZONE_TOKEN="$PZ_TOKEN" "$@" "$FZGW_BIN" \
    --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
  PZ_GW_PID=$(fzi_pid gateway)
  FZI_GW_PID=$PZ_GW_PID # for fzi_gw_counters
}

pz_wait_log() {
  local i
  for i in $(seq 1 $(( ${2:-10} * 20 ))); do
    grep -qE "$1" "$FZI_STATE/gateway.log" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# pz_gw_exit [SECONDS]: PZ_GW_RC gets the gateway's exit code once it exited, "running" after
# SECONDS (not in a subshell: only this shell can wait for its child)
pz_gw_exit() {
  local i
  PZ_GW_RC=running
  for i in $(seq 1 $(( ${1:-10} * 20 ))); do
    if ! kill -0 "$PZ_GW_PID" 2>/dev/null; then
      wait "$PZ_GW_PID" 2>/dev/null
      PZ_GW_RC=$?
      return 0
    fi
    sleep 0.05
  done
}

pz_init_json() {
  printf '{"interface":{"ipv4":"%s","ipv6":"%s"},"config":{"ipv4_masquerade_enabled":true,"ipv6_masquerade_enabled":true},"account_slug":"test","relays":%s,"authorizations":%s,"flow_logs":{"api_url":"https://flow.example","upload_interval_secs":0,"upload_batch_size":0}}' \
    "$1" "$2" "${4:-[]}" "${3:-[]}"
}

# Test bookkeeping (pass, fail, checkif): tests/integration/lib/checks.sh, through topo.sh.
pz_finish() {
  local san
  if [ -n "${FZI_STATE:-}" ] && [ -f "$FZI_STATE/pids" ]; then
    fzi_stop gateway # a clean exit, so that a sanitizer's leak report gets written
    san=$(cat "$FZI_STATE"/gateway*.log 2>/dev/null | grep -E "AddressSanitizer|LeakSanitizer|runtime error" | head -n 3)
    if [ -n "$san" ]; then fail "sanitizer reports in the gateway's log: $san"; else pass "no sanitizer report in the gateway's logs"; fi
  fi
  if [ "$fails" -gt 0 ] && [ -s "${FZI_STATE:-/nonexistent}/gateway.log" ]; then
    echo "# last lines of the gateway's log:"; tail -n 30 "$FZI_STATE/gateway.log" | sed 's/^/#   /'
  fi
  fzi_cleanup
  echo "$passes passed, $fails failed"
  [ "$fails" = 0 ]
  exit
}
