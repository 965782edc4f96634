# SPDX-License-Identifier: Apache-2.0
# Helpers of the observability tests (source after topo.sh): a systemd notification listener,
# HTTP status codes and Prometheus samples from the gateway's health server.
#   obs_notify_up               the listener on $FZI_STATE/notify.sock (exported as NOTIFY_SOCKET);
#                               its log $FZI_STATE/notify.jsonl; on READY=1 it records the TUN's
#                               addresses ("check" lines)
#   obs_msgs                    the messages received so far, one per line, newlines as "|"
#   obs_wait_msg REGEX [S]      until a message matches (default 10 s)
#   obs_code PATH [ADDR]        the HTTP status of GET PATH (ADDR default 127.0.0.1:8080), from
#                               the gateway's namespace; the body in $FZI_STATE/http.body
#   obs_metric SELECTOR         one sample's value, parsed by python3-prometheus-client
#   obs_before A B              the gateway's log has a line matching A before the first line
#                               matching B (its log is written in order by the one loop thread;
#                               READY=1 is sent right after the first "core: gateway ready")
OBS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OBS_ADDR=${OBS_ADDR:-127.0.0.1:8080}

obs_require() {
  command -v curl >/dev/null || fzi_skip "no curl (scripts/lib/deps.sh NET_PACKAGES)"
  "$FZI_PY" -c 'import prometheus_client.parser' 2>/dev/null ||
    fzi_skip "no python3-prometheus-client (scripts/lib/deps.sh NET_PACKAGES)"
}

obs_notify_up() {
  local i
  fzi_start notify "$(fzi_ns gw)" "$FZI_PY" "$OBS_LIB/notify_listen.py" "$FZI_STATE/notify.sock" \
    "$FZI_STATE/notify.jsonl" --on-ready "ip -br addr show dev $(fzi_gw_tun) 2>&1"
  for i in $(seq 1 50); do
    [ -S "$FZI_STATE/notify.sock" ] && grep -q listening "$FZI_STATE/notify.jsonl" 2>/dev/null && break
    sleep 0.1
  done
  export NOTIFY_SOCKET="$FZI_STATE/notify.sock"
}

obs_msgs() {
  "$FZI_PY" -c 'import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if "msg" in j: print(j["msg"].replace("\n", "|"))' "$FZI_STATE/notify.jsonl"
}

obs_wait_msg() {
  local i
  for i in $(seq 1 $(( ${2:-10} * 10 ))); do
    obs_msgs | fzi_match -E "$1" && return 0
    sleep 0.1
  done
  return 1
}

obs_code() {
  ip netns exec "$(fzi_ns gw)" curl -s -m 5 -o "$FZI_STATE/http.body" -w '%{http_code}' \
    "http://${2:-$OBS_ADDR}$1" 2>/dev/null || true
}

obs_metric() {
  ip netns exec "$(fzi_ns gw)" "$FZI_PY" "$OBS_LIB/prom_read.py" "http://$OBS_ADDR/metrics" "$1"
}

# obs_wait_code PATH CODE [S]: until GET PATH answers CODE
obs_wait_code() {
  local i
  for i in $(seq 1 $(( ${3:-10} * 5 ))); do
    [ "$(obs_code "$1")" = "$2" ] && return 0
    sleep 0.2
  done
  return 1
}

obs_before() {
  local a b
  a=$(grep -nE "$1" "$FZI_STATE/gateway.log" | head -n 1 | cut -d: -f1)
  b=$(grep -nE "$2" "$FZI_STATE/gateway.log" | head -n 1 | cut -d: -f1)
  [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
