#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hardening 7: secrets leave no readable copies. A private key file readable by others is
# warned about; FIREZONE_TOKEN is gone from /proc/PID/environ once read (and a reload still
# has the token); the static module's preshared key and the token are not left in the
# process's memory as text (scanned through /proc/PID/mem).
if [ -z "${FZGW_IN_NETNS:-}" ]; then
  if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null; then
    echo "skipped: needs root and network namespaces (unshare -n)"; exit 77
  fi
  FZGW_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
ip link set lo up
C=$TMP/gw.conf; LOG=$TMP/log; KEY=$TMP/gw.key
# keys as text: the private key, a client's public key, a preshared key, a token
printf 'YO6QyR8+ufVVNmHQi6e6AgkNIGFrPd46h2NCP/pZ63Q=\n' >"$KEY"
PUB=Zo+JCpYiWh6d4V0Hp3HwY/Zk1lQcTIJ3GaQUUiGe3WA=
PSK=c2VjcmV0LXByZXNoYXJlZC1rZXktMzItYnl0ZXMhISE=
TOKEN=tok.SECRET-h11-$RANDOM$RANDOM

# found PID TEXT: whether TEXT is in the process's writable memory
found() {
  python3 - "$1" "$2" <<'PY'
import re, sys
pid, needle = sys.argv[1], sys.argv[2].encode()
hit = False
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        if not m or "w" not in m.group(3) or "r" not in m.group(3):
            continue
        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
        try:
            mem.seek(lo)
            if needle in mem.read(hi - lo):
                hit = True
                print(line.strip())
        except (OSError, ValueError, OverflowError):
            pass
sys.exit(0 if hit else 1)
PY
}

start() { # start ENV...: the gateway with $C; PID in $pid
  : >"$LOG"
  env "$@" "$FZGW_BIN" --config "$C" --module-path "$MOD_DIR" 2>"$LOG" &
  pid=$!
  wait_for "$LOG" "running" 10 || fail "did not start: $(cat "$LOG")"
}
stop() { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }

# --- the private key file, and the static module's preshared key
cat >"$C" <<CONF
gateway = { tun = { name = "fzsec0"; }; private_key_file = "$KEY"; log = { level = "info"; }; };
modules = (
  { name = "filter"; },
  { name = "static";
    settings = {
      ipv4 = "100.64.0.1"; ipv6 = "fd00:2021:1111::1";
      resources = ( { id = "lan"; type = "cidr"; address = "10.200.0.0/24"; } );
      peers = ( { id = "alice"; public_key = "$PUB"; preshared_key = "$PSK";
                  ipv4 = "100.64.0.2"; resources = ["lan"]; } );
    };
  }
);
CONF
chmod 0644 "$KEY"
start
grep -q "private key file is readable by group or others (mode 644)" "$LOG" &&
  pass "a key file readable by others is warned about" || fail "no warning: $(cat "$LOG")"
if found "$pid" "$PSK" >"$TMP/where"; then fail "the preshared key's text is in memory: $(cat "$TMP/where")"
else pass "the preshared key's text is not in memory"; fi
# the key's last 24 characters: a freed buffer's first 16 bytes are the allocator's
if found "$pid" "$(head -c 44 "$KEY" | tail -c 24)" >"$TMP/where"; then fail "the private key's text is in memory: $(cat "$TMP/where")"
else pass "the private key's text is not in memory"; fi
# a reload with the same settings keeps the module as it is; new settings reach it
kill -HUP "$pid"; wait_for "$LOG" "reloaded" && ! grep -q "module static: new settings applied" "$LOG" &&
  pass "an unchanged reload leaves the static module alone" || fail "reload: $(tail -5 "$LOG")"
sed -i 's/ipv4 = "100.64.0.2";/ipv4 = "100.64.0.4";/' "$C"
kill -HUP "$pid"; wait_for "$LOG" "module static: (new settings applied|restarting)" &&
  pass "a changed peer reaches the static module" || fail "changed reload: $(tail -5 "$LOG")"
if found "$pid" "$PSK" >"$TMP/where"; then fail "after reloads, the preshared key's text is in memory: $(cat "$TMP/where")"
else pass "after reloads, the preshared key's text is not in memory"; fi
stop
chmod 0600 "$KEY"
start
grep -q "readable by group or others" "$LOG" && fail "warned about a 0600 key file" || pass "a 0600 key file: no warning"
stop

# --- the portal token (a portal that is not there: the gateway keeps trying)
cat >"$C" <<CONF
gateway = { tun = { name = "fzsec0"; }; private_key_file = "$KEY"; log = { level = "info"; }; };
modules = (
  { name = "filter"; },
  { name = "portal"; settings = { api_url = "wss://127.0.0.1:9"; id = "h11-test"; heartbeat_interval = "1s"; }; }
);
CONF
start FIREZONE_TOKEN="$TOKEN"
tr '\0' '\n' <"/proc/$pid/environ" >"$TMP/environ"
grep -q "^FIREZONE_TOKEN=" "$TMP/environ" && fail "FIREZONE_TOKEN still in /proc/PID/environ" ||
  pass "FIREZONE_TOKEN is not in /proc/PID/environ"
grep -qF "$TOKEN" "/proc/$pid/environ" && fail "the token's text is in /proc/PID/environ" ||
  pass "the token's text is not in /proc/PID/environ"
sed -i 's/heartbeat_interval = "1s"/heartbeat_interval = "2s"/' "$C"
kill -HUP "$pid"
wait_for "$LOG" "reloaded|reload refused" && ! grep -q "reload refused" "$LOG" && grep -q "module portal: new settings applied" "$LOG" &&
  pass "a reload of the portal's settings still has the token" || fail "portal reload: $(tail -5 "$LOG")"
kill -0 "$pid" 2>/dev/null && pass "still running" || fail "died"
stop
finish
