#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The portal at scale, against the stand-in (plain WebSocket, in a network namespace):
#   - advertised_version overrides the version in the User-Agent
#   - 5,000 clients authorized one by one (create_authorization): half of them to a resource
#     with 1,000 port ranges (no cap: there were 32 per protocol), half to a DNS resource with
#     Unicode letters; every one answered
#   - then an init of 50,000 authorizations (about 6 MB: over the old 1 MiB message limit,
#     which closed with 1009 and looped): applied on the same connection; the 100 installed
#     clients it does not list are removed, the others kept with their new expiry
#   - the time the init took and the gateway's peak RSS (VmHWM) are printed and bounded
#     generously (PZ_SCALE_MAX_S, PZ_SCALE_MAX_MB)
# Env: FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
pz_require
fzi_init
fzi_ns_add gw
N_CLIENTS=${PZ_SCALE_CLIENTS:-5000}
N_AUTHS=${PZ_SCALE_AUTHS:-50000}
N_GONE=100
MAX_S=${PZ_SCALE_MAX_S:-60}
MAX_MB=${PZ_SCALE_MAX_MB:-2048} # plain builds peak near 75 MiB, ASan near 600 MiB
export PZ_TLS=0 PZ_LOG_LEVEL=info

pz_ca || { fail "throw-away CA"; pz_finish; } # the configuration names one
pz_init_json 100.64.0.1 fd00:2021:1111::1 >"$FZI_STATE/init.json"
pz_standin_up --init "$FZI_STATE/init.json" || { fail "stand-in up"; pz_finish; }
pz_gateway_conf 'advertised_version = "1.6.7";'
pz_gateway_start
if ! pz_wait_log "joined the portal as" 10; then fail "the gateway joined within 10 s"; pz_finish; fi
ua=$(grep -m1 '"kind": "connect"' "$FZI_STATE/standin.jsonl" | "$PZ_PY" -c \
  'import json,sys; print(json.loads(sys.stdin.readline())["user_agent"])')
checkif "advertised_version = \"1.6.7\": User-Agent \"$ua\"" '[[ "$ua" == *" gateway/1.6.7 ("* ]]'

# ------------------------------------------------------------------ the messages
"$PZ_PY" - "$FZI_STATE" "$N_CLIENTS" "$N_AUTHS" "$N_GONE" <<'PY'
import base64, json, sys
state, n_clients, n_auths, n_gone = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
R_BIG = "b16b16b1-0000-4000-8000-000000000001"
R_DNS = "d05d05d0-0000-4000-8000-000000000002"
ports = [{"protocol": "tcp", "port_range_start": 1000 + 2 * i, "port_range_end": 1000 + 2 * i}
         for i in range(1000)] + [{"protocol": "udp", "port_range_start": 53}]
big = {"id": R_BIG, "type": "cidr", "name": "big", "address": "10.0.0.0/8", "filters": ports}
dns = {"id": R_DNS, "type": "dns", "name": "dns", "address": "*.b\u00fccher.example",
       "filters": [{"protocol": "icmp"}]}
def cid(i):
    return "c%07x-0000-4000-8000-%012x" % (i, i)
def key(i, tag):
    return base64.b64encode(bytes([tag]) + i.to_bytes(4, "big") + bytes(27)).decode()
with open(state + "/creates.jsonl", "w") as f:
    for i in range(n_clients):
        f.write(json.dumps({"event": "create_authorization", "payload": {
            "ref": "ref-%d" % i,
            "client": {"id": cid(i), "public_key": key(i, 1), "preshared_key": key(i, 2),
                       "ipv4": "100.%d.%d.%d" % (65 + (i >> 16), (i >> 8) & 255, i & 255),
                       "ipv6": "fd00:2021:1111::1:%x" % i},
            "resource": big if i % 2 == 0 else dns,
            "gateway_ice_credentials": {"username": "gw%d" % i, "password": "gwpassword%d" % i},
            "client_ice_credentials": {"username": "cl%d" % i, "password": "clpassword%d" % i},
            "expires_at": 2000000000, "flow_logs_ingest_token": "t"}}) + "\n")
# the installed pairs but the first n_gone, with a new expiry; then pairs never installed
auths = [{"client_id": cid(i), "resource_id": R_BIG if i % 2 == 0 else R_DNS,
          "expires_at": 2000000001} for i in range(n_gone, n_clients)]
i = n_clients
while len(auths) < n_auths:
    auths.append({"client_id": cid(i), "resource_id": R_BIG, "expires_at": 2000000000 + i})
    i += 1
with open(state + "/init.json") as f:
    init = json.load(f)
init["authorizations"] = auths
with open(state + "/init_cmd.json", "w") as f:
    json.dump({"cmd": "init", "payload": init}, f)
PY

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
t0=$(date +%s.%N)
pz_ctl "{\"cmd\":\"send_file\",\"path\":\"$FZI_STATE/creates.jsonl\"}" >/dev/null
got=$(pz_ctl "{\"cmd\":\"wait\",\"event\":\"authorization_created\",\"count\":$N_CLIENTS,\"timeout\":120}")
t1=$(date +%s.%N)
checkif "$N_CLIENTS create_authorization (1,000 port ranges or a Unicode DNS pattern) all answered ($got) in $(elapsed "$t0" "$t1") s" \
  '[[ "$got" == *"\"ok\": true"* ]]'
checkif "none refused" '! grep -q "rejected a message\|cannot authorize" "$FZI_STATE/gateway.log"'
hwm() { awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$PZ_GW_PID/status"; }
rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$PZ_GW_PID/status"; }
hwm0=$(hwm)

# ------------------------------------------------------------------ the init
size=$(stat -c %s "$FZI_STATE/init_cmd.json")
t0=$(date +%s.%N)
pz_ctl "@$FZI_STATE/init_cmd.json" >/dev/null
pz_wait_log "init: $N_AUTHS authorization\(s\) listed" "$MAX_S"
t1=$(date +%s.%N)
secs=$(elapsed "$t0" "$t1")
line=$(grep "init: $N_AUTHS authorization(s) listed" "$FZI_STATE/gateway.log" | tail -n 1)
want="$N_GONE grant(s) revoked, $N_GONE client(s) removed, $((N_CLIENTS - N_GONE)) expiry update(s), $((N_CLIENTS - N_GONE)) client(s) kept"
checkif "an init of $N_AUTHS authorizations ($size bytes) applied: ${line#*init: }" '[[ "$line" == *"$want"* ]]'
st=$(pz_ctl '{"cmd":"state"}')
checkif "on the same connection (no close 1009, no rejoin loop)" \
  '[[ "$st" == *"\"connections\": 1,"* ]] && ! grep -q "code 1009" "$FZI_STATE/gateway.log"'
hwm1=$(hwm)
# the gateway's own share: from the stand-in's send of the init to the gateway's log line
gw_secs=$("$PZ_PY" - "$FZI_STATE/standin.jsonl" "$line" <<'PY'
import datetime, json, sys
sent = [json.loads(l)["t"] for l in open(sys.argv[1])
        if '"kind": "sent"' in l and '"event": "init"' in l and '"size"' in l][-1]
stamp = sys.argv[2].split()[0].rstrip("Z")
logged = datetime.datetime.fromisoformat(stamp).replace(tzinfo=datetime.timezone.utc).timestamp()
print("%.3f" % (logged - sent))
PY
) 2>/dev/null || gw_secs=-
echo "# figures: init of $N_AUTHS authorizations, $size bytes, applied in $secs s from the" \
  "command (gateway: $gw_secs s from the stand-in's send to its log line);" \
  "gateway VmHWM $hwm0 MiB before, $hwm1 MiB after; VmRSS $(rss) MiB; $N_CLIENTS clients installed"
checkif "within $MAX_S s ($secs s) and $MAX_MB MiB peak RSS ($hwm1 MiB)" \
  'awk -v s="$secs" -v m="$MAX_S" "BEGIN { exit !(s < m) }" && [ "$hwm1" -lt "$MAX_MB" ]'
pz_finish
