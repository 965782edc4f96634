#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `firezone-gateway status` and `firezone-gateway capture` against a running gateway with two
# wireguard-go clients, in network namespaces (tests/integration/lib/topo.sh):
#   - the control socket: mode 0660, the gateway's group, gone after exit
#   - status: both clients with their endpoints, latest handshake and transfer, grants with
#     their expiry (client0's expires in an hour, client1's never); --json parsed by python3;
#     the transfer grows by the 1 MiB a client fetched
#   - capture -w FILE while client0 fetches the resource host's page with curl, then SIGINT:
#     tcpdump -r FILE -A shows the page; a capture of --client client1 at the same time holds
#     none of it; the gateway logged both captures' start and stop
#   - caps: --max-bytes ends a capture with a complete file under the cap, --max-seconds too
#   - a capture reader that never reads: fetches go on intact, the overflow is dropped and counted
#   - hostile requests get an error reply, and the gateway answers status afterwards
# Env: FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
[ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
  { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
fzi_require tcpdump curl

GWNS() { ip netns exec "$(fzi_ns gw)" "$@"; }
CNS() { local n=$1; shift; ip netns exec "$(fzi_ns "c$n")" "$@"; }
finish() { fzi_finish 30; }
PAGE="hello from the resource host $FZI_RES_LAN"

fzi_init
echo "# state: $FZI_STATE; namespaces fzi-$FZI_ID-*"
SOCK="$FZI_STATE/run/control.sock"
EXPIRES=$(( $(date +%s) + 3600 ))
st() { "$FZGW_BIN" status --socket "$SOCK" "$@"; }
# json_get EXPR: evaluates a python expression over the status JSON (j) on stdin
json_get() { "$FZI_PY" -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

if ! fzi_topo_up; then fail "topology and resource servers"; finish; fi
# the gateway as fzi_gateway_up starts it, with a control socket and an expiring grant
fzi_keys 2
FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" GWNS "$FZI_REPO/scripts/gateway-nft.sh" "$(fzi_gw_tun)" >/dev/null
fzi_gateway_conf 2
sed -i -e "s|^  listen_port = .*|&\n  control_socket = \"$SOCK\";|" \
  -e "s|{ id = \"client0\";|{ id = \"client0\"; expires_at = $EXPIRES;|" "$FZI_STATE/gateway.conf"
fzi_start gateway "$(fzi_ns gw)" "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
FZI_GW_PID=$(fzi_pid gateway)
for i in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
if [ ! -S "$SOCK" ]; then fail "gateway up with its control socket $SOCK"; finish; fi
pass "gateway up, pid $FZI_GW_PID, control socket $SOCK"
mode=$(stat -c %a "$SOCK"); grp=$(stat -c %g "$SOCK"); gid=$(awk '/^Gid:/ {print $3}' "/proc/$FZI_GW_PID/status")
checkif "control socket: mode $mode (want 660), group $grp (the gateway's: $gid)" '[ "$mode" = 660 ] && [ "$grp" = "$gid" ]'

for n in 0 1; do
  fzi_client_up "$n" || { fail "wireguard-go client $n"; finish; }
  fzi_warmup "$n" 10 || fail "client$n: no answer to ping within 10 s"
done

# ------------------------------------------------------------------ status
out=$(st); rc=$?
echo "$out" | sed 's/^/#   /'
c0=$(echo "$out" | awk '/^client: client0/ {p = 1} /^client: client1/ {p = 0} p')
c1=$(echo "$out" | awk '/^client: client1/ {p = 1} /^counters:/ {p = 0} p')
checkif "status: exit $rc, both clients listed" '[ $rc = 0 ] && [ -n "$c0" ] && [ -n "$c1" ]'
checkif "status: client0's endpoint $(fzi_client_inet 0):PORT, client1's $(fzi_client_inet 1):PORT, path direct" \
  'echo "$c0" | fzi_match -E "endpoint: $(fzi_client_inet 0):[0-9]+$" && echo "$c1" | fzi_match -E "endpoint: $(fzi_client_inet 1):[0-9]+$" && echo "$c0" | fzi_match "path: direct"'
checkif "status: latest handshake N seconds ago and a transfer line for each client" \
  'echo "$c0" | fzi_match -E "latest handshake: [0-9]+ seconds? ago" && echo "$c1" | fzi_match -E "latest handshake: [0-9]+ seconds? ago" && echo "$c0$c1" | grep -c "transfer: .* received, .* sent" | fzi_match -x 2'
checkif "status: grants: client0's lan expires (in an hour), client1's lan never" \
  'echo "$c0" | fzi_match -E "lan \(10\.200\.0\.0/24\), expires .*\(in (59 minutes|1 hour)" && echo "$c1" | fzi_match "lan (10.200.0.0/24), never expires"'
checkif "status: counters of core, wg and the filter module" \
  'echo "$out" | fzi_match -E "^  wg: peers=2 " && echo "$out" | fzi_match -E "^  filter:"'

j1=$(st --json)
res=$(echo "$j1" | json_get '" ".join(str(x) for x in [j["v"], j["ok"], len(j["clients"]), j["gateway"]["listen_port"], j["gateway"]["clients"], sorted(c["id"] for c in j["clients"])])')
check "status --json: parsed: $res" [ "$res" = "1 True 2 $FZI_WG_PORT 2 ['client0', 'client1']" ]
res=$(echo "$j1" | json_get '" ".join("%s=%s,%s,%s,%s" % (c["id"], c["endpoint"].rsplit(":", 1)[0], c["path"], c["latest_handshake_age_s"] is not None and 0 <= c["latest_handshake_age_s"] < 60, c["rx_bytes"] > 0 and c["tx_bytes"] > 0) for c in sorted(j["clients"], key=lambda c: c["id"]))')
check "status --json: endpoints, paths, handshakes within a minute, bytes both ways: $res" \
  [ "$res" = "client0=$(fzi_client_inet 0),direct,True,True client1=$(fzi_client_inet 1),direct,True,True" ]
res=$(echo "$j1" | json_get '" ".join("%s:%s:%s:%s" % (c["id"], g["resource_id"], g["address"], g["expires_at"]) for c in sorted(j["clients"], key=lambda c: c["id"]) for g in sorted(c["grants"], key=lambda g: g["resource_id"]))')
check "status --json: grants with expiry: $res" \
  [ "$res" = "client0:lan:10.200.0.0/24:$EXPIRES client0:lan6:2001:db8:200::/64:$EXPIRES client1:lan:10.200.0.0/24:0 client1:lan6:2001:db8:200::/64:0" ]
tx0=$(echo "$j1" | json_get '[c for c in j["clients"] if c["id"] == "client0"][0]["tx_bytes"]')
got=$(fzi_fetch_sha 0 1M.bin)
tx1=$(st --json | json_get '[c for c in j["clients"] if c["id"] == "client0"][0]["tx_bytes"]')
checkif "status: client0's transfer sent grew from $tx0 to $tx1 bytes after a 1 MiB fetch (sha256 $([ "$got" = "$FZI_WWW_SHA" ] && echo ok || echo "MISMATCH"))" \
  '[ "$got" = "$FZI_WWW_SHA" ] && [ $((tx1 - tx0)) -ge 1048576 ]'

# ------------------------------------------------------------------ capture
logoff=$(stat -c %s "$FZI_STATE/gateway.log")
fzi_start capall "$(fzi_ns gw)" "$FZGW_BIN" capture --socket "$SOCK" -w "$FZI_STATE/all.pcap"
fzi_start capc1 "$(fzi_ns gw)" "$FZGW_BIN" capture --socket "$SOCK" --client client1 -w "$FZI_STATE/c1.pcap"
for i in $(seq 1 50); do
  [ "$(tail -c +$((logoff + 1)) "$FZI_STATE/gateway.log" | grep -c 'capture by pid .* started')" -ge 2 ] && break
  sleep 0.1
done
page=$(CNS 0 timeout 10 curl -s "http://$FZI_RES_LAN:$FZI_HTTP_PORT/index.html")
CNS 1 ping -c 2 -i 0.2 -W 1 -q "$FZI_RES_LAN" >/dev/null 2>&1
sleep 0.5
rcs=""
for p in capall capc1; do
  pid=$(fzi_pid $p); kill -INT "$pid"
  for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  wait "$pid"; rcs+="$? "
done
check "capture: curl through client0's tunnel got the page ($page)" [ "$page" = "$PAGE" ]
check "capture: both capture commands exit 0 after SIGINT (exit: $rcs)" [ "$rcs" = "0 0 " ]
dump=$(tcpdump -nn -r "$FZI_STATE/all.pcap" -A 2>"$FZI_STATE/tcpdump.err"); trc=$?
npk=$(tcpdump -nn -r "$FZI_STATE/all.pcap" 2>/dev/null | wc -l)
echo "# tcpdump -r all.pcap: $npk packets, $(head -c 300 "$FZI_STATE/tcpdump.err" | tr '\n' ' ')"
checkif "capture (all clients): tcpdump -r reads it (exit $trc, $npk packets) and -A shows the page" \
  '[ $trc = 0 ] && echo "$dump" | fzi_match -F "$PAGE"'
checkif "capture (all clients): both directions: the request (GET /index.html from $(fzi_client_tun4 0)) and the answer" \
  'echo "$dump" | fzi_match "GET /index.html" && echo "$dump" | fzi_match -E "IP $FZI_RES_LAN\.$FZI_HTTP_PORT > $(fzi_client_tun4 0)\."'
dump1=$(tcpdump -nn -r "$FZI_STATE/c1.pcap" -A 2>/dev/null); trc=$?
n1=$(tcpdump -nn -r "$FZI_STATE/c1.pcap" 2>/dev/null | grep -c "$(fzi_client_tun4 1)")
checkif "capture --client client1: readable (exit $trc), client1's pings in it ($n1 packets), none of client0's page" \
  '[ $trc = 0 ] && [ "$n1" -ge 2 ] && ! echo "$dump1" | fzi_match -F "$PAGE" && ! echo "$dump1" | fzi_match "$(fzi_client_tun4 0)"'
log=$(tail -c +$((logoff + 1)) "$FZI_STATE/gateway.log")
checkif "capture: the gateway logged both starts (client all, client client1) and stops" \
  'echo "$log" | fzi_match "started: client all," && echo "$log" | fzi_match "started: client client1," && [ "$(echo "$log" | grep -c "capture by pid .* stopped: the reader went away")" = 2 ]'

# caps: size, then time, each ending with a complete file
fzi_start capsize "$(fzi_ns gw)" "$FZGW_BIN" capture --socket "$SOCK" --max-bytes 4K -w "$FZI_STATE/size.pcap"
for i in $(seq 1 50); do [ "$(grep -c 'up to 4096 bytes' "$FZI_STATE/gateway.log")" -ge 1 ] && break; sleep 0.1; done
fzi_fetch_sha 0 1M.bin >/dev/null
pid=$(fzi_pid capsize); for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && ended=no || ended=yes
wait "$pid" 2>/dev/null; rc=$?
size=$(stat -c %s "$FZI_STATE/size.pcap"); nps=$(tcpdump -nn -r "$FZI_STATE/size.pcap" 2>/dev/null | wc -l)
checkif "capture --max-bytes 4K: ended by itself ($ended, exit $rc), $size bytes (<= 4096), $nps whole packets readable" \
  '[ $ended = yes ] && [ $rc = 0 ] && [ "$size" -le 4096 ] && [ "$nps" -ge 1 ] && grep -q "stopped: size cap reached" "$FZI_STATE/gateway.log"'
t0=$(date +%s%N)
GWNS "$FZGW_BIN" capture --socket "$SOCK" --max-seconds 1 -w "$FZI_STATE/time.pcap" 2>/dev/null; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
tcpdump -nn -r "$FZI_STATE/time.pcap" >/dev/null 2>&1; trc=$?
checkif "capture --max-seconds 1: ended after $ms ms (exit $rc), file readable (tcpdump exit $trc)" \
  '[ $rc = 0 ] && [ $ms -ge 900 ] && [ $ms -lt 5000 ] && [ $trc = 0 ]'

# a reader that never reads: the data path goes on, what does not fit is dropped and counted
fzi_start stuck "$(fzi_ns gw)" "$FZI_PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"{\"v\":1,\"cmd\":\"capture\"}\n")
time.sleep(60)' "$SOCK"
for i in $(seq 1 50); do [ "$(grep -c 'started: client all, up to 104857600' "$FZI_STATE/gateway.log")" -ge 2 ] && break; sleep 0.1; done
t0=$(date +%s%N); ok=0
for i in 1 2 3 4 5 6; do [ "$(fzi_fetch_sha 0 1M.bin)" = "$FZI_WWW_SHA" ] && ok=$((ok + 1)); done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
drops=$(st --json | json_get 'j["counters"]["core"].get("capture-dropped", 0)')
fzi_stop stuck
for i in $(seq 1 30); do grep -q "stopped: the reader went away; .* [1-9][0-9]* dropped" "$FZI_STATE/gateway.log" && break; sleep 0.1; done
line=$(grep "stopped: the reader went away; .* dropped" "$FZI_STATE/gateway.log" | tail -1 | sed 's/.*stopped: //')
checkif "capture with a reader that never reads: 6 MiB fetched intact ($ok/6) in $ms ms, status: capture-dropped $drops (> 0, the same in the stop line: $line)" \
  '[ $ok = 6 ] && [ "$drops" -gt 0 ] && echo "$line" | fzi_match -E "; .*, $drops dropped"'

# ------------------------------------------------------------------ hostile requests
res=$("$FZI_PY" - "$SOCK" <<'PY'
import socket, sys
out = []
for data in [b"garbage\n", b'{"v":2,"cmd":"status"}\n', b'{"v":1,"cmd":"capture","client":"\xff"}\n',
             b'{"v":1,"cmd":"status","x":1}\n', b"[" * 3000 + b"\n"]:
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
    s.sendall(data)
    r = b""
    try:
        while not r.endswith(b"\n"):
            d = s.recv(4096)
            if not d: break
            r += d
    except Exception as e:
        r = str(e).encode()
    s.close()
    out.append("err" if b'"ok":false' in r else "?" + r[:60].decode(errors="replace"))
print(" ".join(out))
PY
)
checkif "hostile requests: each gets an error reply ($res)" '[ "$res" = "err err err err err" ]'
check "status still answered after them" bash -c "'$FZGW_BIN' status --socket '$SOCK' >/dev/null"

# ------------------------------------------------------------------ stop
kill -TERM "$FZI_GW_PID"
for i in $(seq 1 30); do kill -0 "$FZI_GW_PID" 2>/dev/null || break; sleep 0.1; done
wait "$FZI_GW_PID"; rc=$?
checkif "SIGTERM: exit $rc, the control socket is removed" '[ $rc = 0 ] && [ ! -e "$SOCK" ]'
"$FZGW_BIN" status --socket "$SOCK" >/dev/null 2>&1; rc=$?
check "status without a gateway: exit $rc (1) with a message" [ "$rc" = 1 ]
FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" GWNS "$FZI_REPO/scripts/gateway-nft.sh" --remove >/dev/null
finish
