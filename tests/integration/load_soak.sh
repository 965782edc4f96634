#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Soak (RELIABILITY.md 29, issue 12 "Load and time"): our gateway (static + filter) with 1,000
# peers churning. A pool of 2x LD_SOAK_PEERS identities (fzgw_loadgen keys); LD_SOAK_PEERS of
# them are configured at a time. Every second LD_SOAK_CHURN configured peers are revoked and as
# many others added (the static config rewritten, SIGHUP), while fzgw_loadgen clients
# handshakes with random identities of the pool (LD_SOAK_HPS per second) and sends an ICMP
# echo to the gateway through each new session (a configured one gets its answer, a revoked
# one no handshake). Pass:
#   - the gateway runs all along; handshakes succeed during the churn (ok > 0)
#   - after the churn: every configured peer completes a handshake and gets its echo, no
#     revoked peer does (exactly)
#   - RSS at the end within LD_SOAK_RSS_PCT % (default 10) + 2 MiB (+ 8 MiB of ASan quarantine
#     under ASan) of the value after warm-up
#     (a quarter of the run); start, warm-up and end are printed
#   - no counter whose name says error/fail/no-memory/exhausted rose between warm-up and end
#   - SIGTERM: exit 0; under ASan nothing from a sanitizer in the log (LSan runs at exit)
# Env: LD_SOAK_SECS (default 45, 60 under ASan; 600 for the 10-minute run, 3600 for the hour),
# LD_SOAK_PEERS (1000), LD_SOAK_CHURN (20), LD_SOAK_HPS (100), FZGW_BIN, MOD_DIR, LOADGEN.
# Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/load_lib.sh"
ld_need
fzi_require
if ld_asan; then SECS=${LD_SOAK_SECS:-60}; else SECS=${LD_SOAK_SECS:-45}; fi
NP=${LD_SOAK_PEERS:-1000}; CHURN=${LD_SOAK_CHURN:-20}; HPS=${LD_SOAK_HPS:-100}
RSSPCT=${LD_SOAK_RSS_PCT:-10}
# a small ASan quarantine: freed memory is reused, so RSS says something under ASan too; the
# quarantine itself may still fill after warm-up (up to its 8 MiB: freed memory, not a leak,
# which LeakSanitizer checks at exit), so the RSS bound allows it under ASan
QUAR_KB=0
ld_asan && { export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"; QUAR_KB=8192; }
export FZI_PSK_CLIENTS=""
fzi_init
fzi_topo_up || { fail "topology"; finish; }
fzi_keys 1
"$LOADGEN" keys $((2 * NP)) | awk '{print NR - 1, $1, $2}' >"$FZI_STATE/pool"
seq 0 $((2 * NP - 1)) | sort >"$FZI_STATE/all" # comm wants the plain sort order
shuf -n "$NP" "$FZI_STATE/all" | sort >"$FZI_STATE/active"

# write_conf: gateway.conf with the peers listed in $FZI_STATE/active
write_conf() {
  "$FZI_PY" - "$FZI_STATE" "$(fzi_gw_tun)" <<'PY'
import sys
st, tun = sys.argv[1], sys.argv[2]
pool = {}
for l in open(st + "/pool"):
    i, sk, pk = l.split()
    pool[int(i)] = pk
peers = []
for l in open(st + "/active"):
    i = int(l)
    a = 2 + i
    peers.append('        { id = "p%d"; public_key = "%s"; ipv4 = "100.64.%d.%d"; ipv6 = "fd00:2021:1111::%x"; resources = ["lan"]; }'
                 % (i, pool[i], a >> 8, a & 255, a))
conf = """gateway = {
  tun = { name = "%s"; mtu = 1420; };
  listen_port = 51820;
  private_key_file = "%s/gateway.key";
  log = { level = "info"; format = "human"; };
};
modules = (
  { name = "filter"; },
  { name = "static";
    settings = {
      ipv4 = "100.64.0.1"; ipv6 = "fd00:2021:1111::1";
      resources = ( { id = "lan"; type = "cidr"; address = "10.200.0.0/24"; } );
      peers = (
%s
      );
    };
  }
);
""" % (tun, st, ",\n".join(peers))
open(st + "/gateway.conf.new", "w").write(conf)
PY
  mv "$FZI_STATE/gateway.conf.new" "$FZI_STATE/gateway.conf"
}
write_conf
ns=$(fzi_ns gw); tun=$(fzi_gw_tun)
FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" GWNS "$FZI_REPO/scripts/gateway-nft.sh" "$tun" >/dev/null
fzi_start gateway "$ns" "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
GW=$(fzi_pid gateway); FZI_GW_PID=$GW
for i in $(seq 1 150); do
  GWNS ss -H -lun "sport = :$FZI_WG_PORT" | fzi_match . && ip -n "$ns" addr show dev "$tun" 2>/dev/null | fzi_match 100.64.0.1 && break
  sleep 0.1
done
checkif "gateway up with $NP peers (pool of $((2 * NP)))" 'kill -0 "$GW" && GWNS ss -H -lun "sport = :$FZI_WG_PORT" | fzi_match .'
rss_start=$(ld_rss_kb "$GW")

clients() { # clients KEYFILE ARGS...: fzgw_loadgen clients from the flooder-free client namespace
  ip netns exec "$(fzi_ns c0)" "$LOADGEN" clients --keys "$1" --pub "$(cat "$FZI_STATE/gateway.pub")" \
    --target "$FZI_GW_INET:$FZI_WG_PORT" --tunnel-net 100.64.0.0 --tunnel-dst 100.64.0.1 "${@:2}"
}
fzi_ns_add c0; fzi_attach_inet c0 198.51.100.2/24
awk '{print $1, $2}' "$FZI_STATE/pool" >"$FZI_STATE/pool.keys"
clients "$FZI_STATE/pool.keys" --slots 32 --rate "$HPS" --seconds "$SECS" --timeout 2 >"$FZI_STATE/churn.out" 2>&1 &
cpid=$!

# the churn
declare -A W=() E=()
t0=$(date +%s); warm=$((SECS / 4)); rss_warm=""; reloads=0
while [ $(( $(date +%s) - t0 )) -lt "$SECS" ]; do
  sleep 1
  comm -13 "$FZI_STATE/active" "$FZI_STATE/all" | shuf -n "$CHURN" >"$FZI_STATE/add"
  shuf -n $((NP - CHURN)) "$FZI_STATE/active" | cat - "$FZI_STATE/add" | sort >"$FZI_STATE/active.new"
  mv "$FZI_STATE/active.new" "$FZI_STATE/active"
  write_conf
  kill -HUP "$GW" || break
  reloads=$((reloads + 1))
  if [ -z "$rss_warm" ] && [ $(( $(date +%s) - t0 )) -ge "$warm" ]; then
    rss_warm=$(ld_rss_kb "$GW"); ld_counters W
  fi
done
wait "$cpid"
churn=$(cat "$FZI_STATE/churn.out")
n=$(sort -u "$FZI_STATE/active" | wc -l)
checkif "$reloads reloads, $CHURN peers revoked and $CHURN added each, in ${SECS}s; handshakes meanwhile: $churn; gateway running" \
  '[ "$n" = "$NP" ] && kill -0 "$GW" && [[ "$churn" =~ ^ok\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]'
sleep 2 # the last reload applied
# every configured peer once, then every revoked one
awk 'NR == FNR {a[$1] = 1; next} ($1 in a) {print $1, $2}' "$FZI_STATE/active" "$FZI_STATE/pool" >"$FZI_STATE/on.keys"
awk 'NR == FNR {a[$1] = 1; next} !($1 in a) {print $1, $2}' "$FZI_STATE/active" "$FZI_STATE/pool" | shuf -n 200 >"$FZI_STATE/off.keys"
on=$(clients "$FZI_STATE/on.keys" --once --slots 32 --rate 200 --timeout 3 --seconds 600)
off=$(clients "$FZI_STATE/off.keys" --once --slots 64 --rate 200 --timeout 1 --seconds 600)
checkif "after the churn: configured peers $on (want ok $NP fail 0); revoked peers $off (want ok 0 fail 200)" \
  '[ "$on" = "ok $NP fail 0" ] && [ "$off" = "ok 0 fail 200" ]'
rss_end=$(ld_rss_kb "$GW"); ld_counters E
echo "# RSS: start $rss_start KiB, after warm-up ($warm s) ${rss_warm:-?} KiB, end $rss_end KiB"
checkif "RSS after warm-up ${rss_warm:-?} KiB, at the end $rss_end KiB (want <= +$RSSPCT% + $((2048 + QUAR_KB)) KiB)" \
  '[ -n "$rss_warm" ] && [ "$rss_end" -le $(( rss_warm + rss_warm * RSSPCT / 100 + 2048 + QUAR_KB )) ]'
rose=""
for k in "${!E[@]}"; do
  [[ "$k" =~ error|fail|no-memory|no_memory|nomem|exhaust|overflow ]] || continue
  d=$(( ${E[$k]} - ${W[$k]:-0} )); [ "$d" -gt 0 ] && rose+="$k+$d "
done
refused=$(grep -c "reload refused\|reload: " "$FZI_STATE/gateway.log")
checkif "no error counter rose between warm-up and the end${rose:+: $rose}; $refused reloads refused or failed (want 0)" \
  '[ -z "$rose" ] && [ "$refused" = 0 ]'
kill -TERM "$GW"; for i in $(seq 1 50); do kill -0 "$GW" 2>/dev/null || break; sleep 0.1; done
wait "$GW"; rc=$?
checkif "SIGTERM: exit status $rc (want 0; under ASan LeakSanitizer ran), no sanitizer report in the log" \
  '[ "$rc" = 0 ] && ! grep -qE "Sanitizer|runtime error" "$FZI_STATE/gateway.log"'
finish
