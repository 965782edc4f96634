#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# SIGHUP with a good and a bad config, SIGUSR1 stats, SIGTERM and SIGINT exit 0 within 2 s.
# The gateway creates a TUN and UDP sockets: run in a private network namespace.
if [ -z "${FZGW_IN_NETNS:-}" ]; then
  if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null; then
    echo "skipped: needs root and network namespaces (unshare -n)"; exit 77
  fi
  FZGW_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
ip link set lo up
C=$TMP/gw.conf; LOG=$TMP/log
conf() { printf 'gateway = { tun = { name = "fzsig0"; }; log = { level = "info"; }; };\nmodules = (\n%s\n);\n' "$1" >"$C"; }

conf '{ name = "tm_a"; settings = { value = 1; }; }'
"$FZGW_BIN" --config "$C" --module-path "$TM_DIR" 2>"$LOG" &
pid=$!
wait_for "$LOG" "running" && pass "started" || fail "did not start: $(cat "$LOG")"
grep -q "chain in-filter: \[10\] tm_a/in -> deny" "$LOG" && pass "start-up log shows the chain" || fail "no chain in log"
ip link show fzsig0 >/dev/null 2>&1 && pass "TUN fzsig0 created" || fail "no TUN"

conf '{ name = "tm_a"; settings = { value = 2; }; }, { name = "tm_b"; }'
kill -HUP $pid
wait_for "$LOG" "reloaded" && pass "SIGHUP with a good config reloads" || fail "no reload: $(tail -5 "$LOG")"
wait_for "$LOG" "chain in-filter: \[10\] tm_a/in -> \[20\] tm_b/in" && pass "new chain after reload" || fail "chain not updated"
grep -q "module tm_a: new settings applied" "$LOG" && pass "tm_a got its new settings in place" || fail "tm_a settings"

conf '{ name = "tm_a"; settings = { value = "two"; }; }'
kill -HUP $pid
wait_for "$LOG" "reload refused" && pass "SIGHUP with a bad config is refused" || fail "bad reload not refused"
grep "reload refused" "$LOG" | grep -qF "$C:3: wrong type" && pass "refusal names FILE:LINE" || fail "refusal text: $(grep refused "$LOG")"
kill -0 $pid 2>/dev/null && pass "still running with the old config" || fail "died after bad reload"

kill -USR1 $pid
wait_for "$LOG" "stats" && pass "SIGUSR1 dumps stats" || fail "no stats"

t0=$(date +%s%N); kill -TERM $pid; wait $pid; rc=$?; t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ $rc = 0 ] && [ $ms -lt 2000 ] && pass "SIGTERM: exit 0 in ${ms} ms" || fail "SIGTERM: rc=$rc in ${ms} ms"
ip link show fzsig0 >/dev/null 2>&1 && fail "TUN left behind" || pass "TUN removed on exit"

"$FZGW_BIN" --config "$C" --module-path "$TM_DIR" 2>"$LOG" &
pid=$!
sleep 0.2; kill -INT $pid; wait $pid; rc=$?
# the config on disk is the bad one now: start-up must refuse it with 78
[ $rc = 78 ] && pass "start with a bad config exits 78" || fail "bad start rc=$rc"
conf '{ name = "tm_a"; }'
"$FZGW_BIN" --config "$C" --module-path "$TM_DIR" 2>"$LOG" &
pid=$!
wait_for "$LOG" "running"
t0=$(date +%s%N); kill -INT $pid; wait $pid; rc=$?; t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ $rc = 0 ] && [ $ms -lt 2000 ] && pass "SIGINT: exit 0 in ${ms} ms" || fail "SIGINT: rc=$rc"
finish
