#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ctest pkg_unit_verify: conf/firezone-gateway.service passes `systemd-analyze verify` with no
# message at all (verify exits 0 on unknown keys and bad values, printing them: any output
# fails here), and has what the package and the daemon rely on. The commands it names are
# replaced by stubs in a temporary directory (verify checks they are executable); the
# installed unit, with the real commands and the man page, is verified by package_test.sh.
# Exit 0 passed, 1 failed, 77 skipped (no systemd-analyze).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
unit=$src/conf/firezone-gateway.service
command -v systemd-analyze >/dev/null || { echo "skipped: no systemd-analyze (Debian: apt-get install systemd)"; exit 77; }

pass=0 fail=0
ok() { echo "ok   - $*"; pass=$((pass + 1)); }
bad() { echo "FAIL - $*"; fail=$((fail + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sbin"
for c in firezone-gateway firezone-gateway-nft; do
  printf '#!/bin/sh\nexit 0\n' >"$tmp/sbin/$c" && chmod 755 "$tmp/sbin/$c"
done
sed "s#/usr/sbin/#$tmp/sbin/#g" "$unit" >"$tmp/firezone-gateway.service"

# verify: exit status 0 and nothing printed
out=$(cd "$tmp" && systemd-analyze verify --man=no "$tmp/firezone-gateway.service" 2>&1)
rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify: clean"
else bad "systemd-analyze verify: exit $rc: $out"; fi

# the verifier must see a broken unit (the check above can fail)
{ cat "$tmp/firezone-gateway.service"; echo "NoSuchKey=1"; } >"$tmp/broken.service"
out=$(cd "$tmp" && systemd-analyze verify --man=no "$tmp/broken.service" 2>&1)
if echo "$out" | grep -q NoSuchKey; then ok "a unit with an unknown key is reported"
else bad "a unit with an unknown key was not reported: $out"; fi

# the sandbox as systemd scores it (0 best, 10 worst): no higher than today's 2.1, so that a
# hardening line lost shows here; lower it when the unit gets stricter
MAX_EXPOSURE=2.1
exposure() { systemd-analyze security --offline=yes --no-pager "$1" 2>&1 |
  sed -nE 's/.*[Oo]verall exposure level for .*: ([0-9]+[.][0-9]+).*/\1/p'; }
level=$(cd "$tmp" && exposure "$tmp/firezone-gateway.service")
if [ -n "$level" ] && awk -v a="$level" -v m=$MAX_EXPOSURE 'BEGIN { exit !(a <= m) }'; then
  ok "systemd-analyze security: exposure $level (at most $MAX_EXPOSURE)"
else
  bad "systemd-analyze security: exposure '${level}' above $MAX_EXPOSURE"
fi
grep -vE '^(ProtectSystem|SystemCallFilter)=' "$tmp/firezone-gateway.service" >"$tmp/weak.service"
weak=$(cd "$tmp" && exposure "$tmp/weak.service")
if [ -n "$weak" ] && [ -n "$level" ] && awk -v a="$weak" -v b="$level" 'BEGIN { exit !(a > b) }'; then
  ok "without ProtectSystem= and SystemCallFilter= the exposure rises ($weak)"
else
  bad "the exposure check does not see lost hardening ('$weak' vs '$level')"
fi

# what the rest of the project relies on; each line must appear exactly once
need=(
  "Type=notify"                                     # obs: READY=1, RELOADING=1, STOPPING=1
  "NotifyAccess=main"
  "WatchdogSec=30s"                                 # obs: WATCHDOG=1 every WatchdogSec/2
  'ExecReload=/bin/kill -HUP $MAINPID'
  "RuntimeDirectory=firezone-gateway"               # ctl: /run/firezone-gateway/control.sock
  "RuntimeDirectoryMode=0750"
  "StateDirectory=firezone"                         # portal: /var/lib/firezone/gateway_id
  "StateDirectoryMode=0750"                         # = packaging/deb/firezone-gateway.tmpfiles
  "User=firezone"                                   # = packaging/deb/firezone-gateway.sysusers
  "Group=firezone"
  "ExecStart=/usr/sbin/firezone-gateway --config /etc/firezone/gateway.conf"
  "ExecStartPre=+/usr/sbin/firezone-gateway-nft tun-firezone"
  "LoadCredential=FIREZONE_TOKEN:/etc/firezone/gateway-token"
  "CapabilityBoundingSet=CAP_NET_ADMIN"
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK AF_UNIX"
  "ProtectSystem=strict"
  "NoNewPrivileges=yes"
  "SystemCallFilter=@system-service"
  "WantedBy=multi-user.target"
)
for l in "${need[@]}"; do
  n=$(grep -cxF -- "$l" "$unit")
  if [ "$n" = 1 ]; then ok "unit has: $l"; else bad "unit has $n lines '$l' (want 1)"; fi
done
# the tmpfiles entry and the unit agree on the state directory
if grep -qE '^d +/var/lib/firezone +0750 +firezone +firezone' "$src/packaging/deb/firezone-gateway.tmpfiles"
then ok "tmpfiles.d: /var/lib/firezone 0750 firezone:firezone, as StateDirectory"
else bad "tmpfiles.d entry for /var/lib/firezone differs from the unit's StateDirectory"; fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
