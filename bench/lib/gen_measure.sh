# SPDX-License-Identifier: Apache-2.0
# The load generator's part of bench/run.sh (bench/README.md, "The load generator"). Sourced
# after topo.sh and gen_lib.sh; records "GATEWAY<TAB>REP<TAB>TEST<TAB>KEY<TAB>VALUE" go to
# $GEN_TSV (bench/lib/gen_report.py reads them).
#   gen_bench_setup        identities (GEN_PEERS), the generator's namespace, vm.max_map_count
#                          raised for GEN_PEERS sessions (each session's keys sit in guarded
#                          memory: a few mappings each); gen_bench_restore puts it back
#   gen_phase GATEWAY      REPS x (the many-peers comparison, the capacity search: ours once
#                          per gateway.workers value of GEN_WORKERS, default "1 2")
GEN_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GEN_WORKERS=${GEN_WORKERS:-1 2}

gen_record() { printf '%s\t%s\t%s\t%s\t%s\n' "$GEN_GW" "$GEN_REP" "$1" "$2" "$3" >>"$GEN_TSV"; }
# gen_records TEST OUTPUT: fzgw_gen's lines as records (gen_report.py parse)
gen_records() {
  "$FZI_PY" "$GEN_LIB_DIR/gen_report.py" parse "$1" <<<"$2" | while IFS=$'\t' read -r t k v; do gen_record "$t" "$k" "$v"; done
}

GEN_MAPS_SAVED=""
gen_bench_setup() {
  gen_keys "$GEN_PEERS"
  gen_ns_up
  local have want
  have=$(cat /proc/sys/vm/max_map_count); want=$((GEN_PEERS * 12 + 65536))
  if [ "$have" -lt "$want" ]; then
    GEN_MAPS_SAVED=$have
    sysctl -qw vm.max_map_count="$want"
    echo "# vm.max_map_count $have -> $want for $GEN_PEERS sessions (restored at the end)"
  fi
}
gen_bench_restore() {
  [ -z "$GEN_MAPS_SAVED" ] || sysctl -qw vm.max_map_count="$GEN_MAPS_SAVED"
  GEN_MAPS_SAVED=""
}

# gen_reconfigure GATEWAY N: the running gateway now has the first N identities as peers
gen_reconfigure() {
  local i off
  case "$1" in
    ours)
      off=$(stat -c %s "$FZI_STATE/gateway.log")
      gen_peers_conf "$2" && kill -HUP "$FZI_GW_PID" || return 1
      for i in $(seq 1 300); do
        tail -c +$((off + 1)) "$FZI_STATE/gateway.log" | fzi_match "reloaded " && return 0
        sleep 0.1
      done
      return 1 ;;
    wireguard-go)
      gen_wg_conf "$2" && ip netns exec "$(fzi_ns gw)" wg setconf "$(fzi_gw_tun)" "$FZI_STATE/gen-wg.conf" ;;
  esac
}

# gen_peers GATEWAY: per-packet gateway CPU with 1 peer and with GEN_PEERS peers at the same
# rate; bytes per idle peer (RSS with 1 peer configured, then GEN_PEERS), per session after
# the handshakes; the handshakes' rate and cost
gen_peers() {
  local gw=$1 out rss1 rss_idle rss_hs
  gen_gateway_up "$gw" 1 || { gen_record peers error "gateway with 1 peer did not start"; return 1; }
  sleep 1
  rss1=$(gen_rss_kb "$FZI_GW_PID")
  out=$(gen_run --sessions 1 --rate "$GEN_PEER_RATE" --secs "$GEN_SECS" --dir c2s --size 1420 --label "$gw" 2>&1)
  echo "$out" | sed 's/^/#     /'
  gen_records peers1 "$out"
  gen_reconfigure "$gw" "$GEN_PEERS" || { gen_record peers error "reconfiguring $GEN_PEERS peers failed"; return 1; }
  sleep 2
  rss_idle=$(gen_rss_kb "$FZI_GW_PID")
  out=$(gen_run --sessions "$GEN_PEERS" --src-net "$GEN_SRC_NET" --src-count "$GEN_PEERS" \
    --rate "$GEN_PEER_RATE" --secs "$GEN_SECS" --dir c2s --size 1420 --label "$gw" 2>&1)
  echo "$out" | sed 's/^/#     /'
  gen_records peersN "$out"
  rss_hs=$(gen_rss_kb "$FZI_GW_PID")
  gen_record peersN rss_kb_1peer "$rss1"
  gen_record peersN rss_kb_idle "$rss_idle"
  gen_record peersN rss_kb_sessions "$rss_hs"
  gen_record peersN bytes_per_idle_peer $(( (rss_idle - rss1) * 1024 / (GEN_PEERS - 1) ))
  gen_record peersN bytes_per_session $(( (rss_hs - rss_idle) * 1024 / GEN_PEERS ))
}

# gen_capacity GATEWAY: the highest rate with < 0.1 % loss per direction and size; ours once
# per value of GEN_WORKERS (gateway.workers, the gateway restarted), recorded as capwN_* each,
# the last value's also as the cap_* compared with wireguard-go
gen_capacity() {
  local gw=$1 w last
  if [ "$gw" != ours ]; then gen_capacity_one "$gw" ""; return; fi
  for w in $GEN_WORKERS; do last=$w; done
  for w in $GEN_WORKERS; do gen_capacity_one ours "$w" "$last" || true; done
}

gen_capacity_one() { # GATEWAY WORKERS LAST
  local gw=$1 w=$2 out
  GEN_GW_WORKERS=$w gen_gateway_up "$gw" "$GEN_SESSIONS" ||
    { gen_record cap error "gateway${w:+ (workers = $w)} did not start"; return 1; }
  [ -z "$w" ] || echo "#     gateway.workers = $w: $(grep -m1 -o 'data plane: .*' "$FZI_STATE/gateway.log")"
  out=$(gen_run --sessions "$GEN_SESSIONS" --src-net "$GEN_SRC_NET" --src-count "$GEN_SESSIONS" \
    --search --start-rate "$GEN_START_RATE" --max-steps "$GEN_MAX_STEPS" --secs "$GEN_SECS" \
    --dir c2s,s2c --size "$GEN_SIZES" --label "$gw${w:+-w$w}" 2>&1)
  echo "$out" | grep -E '^(handshakes|capacity|summary)' | sed 's/^/#     /'
  [ -z "$w" ] || gen_records "capw$w" "$out"
  [ "$w" != "${3:-}" ] || gen_records cap "$out"
}

gen_phase() {
  GEN_GW=$1
  echo "# generator, $1: $REPS x (1 vs $GEN_PEERS peers at $GEN_PEER_RATE/s; capacity search over $GEN_SESSIONS sessions)"
  for GEN_REP in $(seq 1 "$REPS"); do
    gen_peers "$1" || true
    gen_capacity "$1" || true
    fzi_stop gateway
    echo "#   generator rep $GEN_REP done"
  done
}
