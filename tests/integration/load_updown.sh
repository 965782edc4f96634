#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# RELIABILITY.md test 31, up/down churn: ROUNDS x CYCLES starts of our gateway (static + filter,
# one peer), each stopped with SIGTERM after a random sleep of 0-150 ms (before, during and after
# its set-up). Pass, every cycle: the process exits within 2 s with status 0 (or 143 when the
# signal came before its handlers were installed), nothing in its log from a sanitizer (ASan,
# LSan at exit: a leak fails the run), its TUN device is gone; between rounds a start runs to
# ready (TUN with its address, UDP port bound): no stuck TUN.
# Env: LD_UPDOWN=ROUNDSxCYCLES (default 2x20; the full run of RELIABILITY.md: 10x50),
# FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/load_lib.sh"
[ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
  { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
fzi_require
spec=${LD_UPDOWN:-2x20}
ROUNDS=${spec%x*}; CYCLES=${spec#*x}
fzi_init
fzi_ns_add gw
ns=$(fzi_ns gw); tun=$(fzi_gw_tun)
fzi_gateway_conf 1

bad=0; n143=0; n=0; slow=0
for r in $(seq 1 "$ROUNDS"); do
  for c in $(seq 1 "$CYCLES"); do
    n=$((n + 1))
    : >"$FZI_STATE/cycle.log"
    ip netns exec "$ns" "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR" \
      >"$FZI_STATE/cycle.log" 2>&1 </dev/null &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 150)))"
    kill -TERM "$pid" 2>/dev/null
    t0=$(date +%s%N)
    for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    if kill -0 "$pid" 2>/dev/null; then
      fail "round $r cycle $c: still running $ms ms after SIGTERM"; kill -9 "$pid"; wait "$pid"; bad=$((bad + 1)); continue
    fi
    wait "$pid"; rc=$?
    [ "$ms" -gt 2000 ] && slow=$((slow + 1))
    [ "$rc" = 143 ] && n143=$((n143 + 1))
    if [ "$rc" != 0 ] && [ "$rc" != 143 ]; then
      fail "round $r cycle $c: exit status $rc"; sed 's/^/#   /' "$FZI_STATE/cycle.log" | tail -n 20; bad=$((bad + 1))
    elif grep -qE 'Sanitizer|runtime error' "$FZI_STATE/cycle.log"; then
      fail "round $r cycle $c: sanitizer report"; grep -A 20 -E 'Sanitizer|runtime error' "$FZI_STATE/cycle.log" | head -30 | sed 's/^/#   /'
      bad=$((bad + 1))
    elif ip -n "$ns" link show dev "$tun" >/dev/null 2>&1; then
      fail "round $r cycle $c: TUN $tun still there after exit"; bad=$((bad + 1))
    fi
  done
  # a full start after each round
  fzi_start gateway "$ns" "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
  ok=0
  for i in $(seq 1 100); do
    fzi_gw_ready "$ns" "$tun" && { ok=1; break; }
    sleep 0.1
  done
  fds=$(ls "/proc/$(fzi_pid gateway)/fd" 2>/dev/null | wc -l)
  fzi_stop gateway
  checkif "round $r: after $CYCLES cycles the gateway starts to ready (TUN $tun with its address, UDP $FZI_WG_PORT; $fds fds) and stops" \
    '[ $ok = 1 ] && ! ip -n "$ns" link show dev "$tun" >/dev/null 2>&1'
done
checkif "$n start/stop cycles with random 0-150 ms sleeps: $bad bad (exit status, sanitizer report, TUN left, no exit within 2 s: $slow over 2 s); $n143 stopped before the signal handlers were installed" \
  '[ $bad = 0 ] && [ $slow = 0 ]'
finish
