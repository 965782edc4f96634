#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package end to end, as an operator meets it: build it (scripts/package.sh),
# lintian (no errors), `apt-get install ./firezone-gateway_*.deb` with apt resolving the
# dependencies, every file with its owner and mode, the user, the state directory, the token
# file, `--check-config` on the installed conffile, `systemd-analyze verify` on the installed
# unit, a module built against firezone-gateway-dev, then `dpkg -r` (config kept) and `dpkg -P`
# (nothing left). It changes the machine (packages, the system user "firezone", which Debian's
# policy leaves after a purge), so it runs only:
#   - with FZGW_PACKAGE_TEST=1 (as root), or
#   - as root when no firezone-gateway package is known to dpkg (a test machine);
# otherwise it says why and exits 77. FZGW_PACKAGE_TEST=0 always skips.
# Env: FZGW_DEB_DIR  take the .deb files from there instead of building them.
# Output: one "ok   - ..." or "FAIL - ..." line per check, then "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
SRC=$(pwd)

skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "package test needs root (it installs and purges the package)"
status=$(dpkg-query -W -f='${db:Status-Abbrev}' firezone-gateway 2>/dev/null)
case "${FZGW_PACKAGE_TEST:-}" in
  0) skip "FZGW_PACKAGE_TEST=0" ;;
  1) ;;
  *) [ -z "$status" ] || [ "$status" = "un " ] ||
       skip "firezone-gateway is already known to dpkg here (status '$status'); FZGW_PACKAGE_TEST=1 replaces it" ;;
esac

pass=0 fail=0
ok() { echo "ok   - $*"; pass=$((pass + 1)); }
bad() { echo "FAIL - $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
finish() { echo "$pass passed, $fail failed"; [ $fail = 0 ]; exit $?; }

source scripts/lib/deps.sh
need_packages lintian systemd file dpkg-dev || { bad "cannot install lintian, systemd, file, dpkg-dev"; finish; }

TMP=$(mktemp -d)
installed=0
cleanup() {
  # never leave the package behind, whatever failed
  [ $installed = 1 ] && dpkg -P firezone-gateway-dev firezone-gateway >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

# --- build
if [ -n "${FZGW_DEB_DIR:-}" ]; then
  deb=$(ls "$FZGW_DEB_DIR"/firezone-gateway_*.deb 2>/dev/null | head -1)
  dev=$(ls "$FZGW_DEB_DIR"/firezone-gateway-dev_*.deb 2>/dev/null | head -1)
else
  FZGW_PKG_BUILD=build/package-test ./scripts/package.sh >"$TMP/package.out" 2>"$TMP/package.err" ||
    { bad "scripts/package.sh: $(tail -20 "$TMP/package.err")"; finish; }
  deb=$(grep '/firezone-gateway_[^/]*\.deb$' "$TMP/package.out")
  dev=$(grep '/firezone-gateway-dev_[^/]*\.deb$' "$TMP/package.out")
fi
[ -f "$deb" ] && [ -f "$dev" ] || { bad "no .deb files (got '$deb' '$dev')"; finish; }
arch=$(dpkg --print-architecture)
version=$(sed -nE 's/^project\(firezone-gateway VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
check "package file named firezone-gateway_${version}-1_${arch}.deb ($(stat -c %s "$deb") bytes)" \
  test "$(basename "$deb")" = "firezone-gateway_${version}-1_${arch}.deb"
check "dev package file named firezone-gateway-dev_${version}-1_${arch}.deb" \
  test "$(basename "$dev")" = "firezone-gateway-dev_${version}-1_${arch}.deb"
depends=$(dpkg-deb -f "$deb" Depends)
echo "     Depends: $depends"
for lib in libc6 libsodium23 libconfig9 libevent-core-2.1-7 libjansson4 libmnl0 libssl3 nftables; do
  check "Depends names $lib (dpkg-shlibdeps and the unit's needs)" grep -qE "(^|, )$lib( |,|$)" <<<"$depends"
done
check "conffiles: /etc/firezone/gateway.conf only" \
  test "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = "/etc/firezone/gateway.conf"

# --- lintian: no errors (warnings and info are listed in docs/operations.md)
lintian --fail-on error --display-info "$deb" "$dev" >"$TMP/lintian" 2>&1; rc=$?
grep -v "running with root privileges" "$TMP/lintian" | sed 's/^/     lintian: /'
check "lintian: no errors ($(grep -c '^E:' "$TMP/lintian") E, $(grep -c '^W:' "$TMP/lintian") W, exit $rc)" \
  test $rc = 0 -a "$(grep -c '^E:' "$TMP/lintian")" = 0

# --- install with apt: the dependencies come from the archive
cp "$deb" "$dev" "$TMP/"
export DEBIAN_FRONTEND=noninteractive
installed=1
if apt-get install -y -q "$TMP/$(basename "$deb")" "$TMP/$(basename "$dev")" >"$TMP/apt.log" 2>&1; then
  ok "apt-get install ./$(basename "$deb") ./$(basename "$dev")"
else
  bad "apt-get install: $(tail -15 "$TMP/apt.log")"; finish
fi
check "dpkg status: installed" test "$(dpkg-query -W -f='${db:Status-Abbrev}' firezone-gateway)" = "ii "
dpkg -L firezone-gateway firezone-gateway-dev | sort >"$TMP/files"

mode() { stat -c '%a %U:%G' "$1" 2>/dev/null; }
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
moddir=/usr/lib/$multiarch/firezone-gateway/modules
for f in /usr/sbin/firezone-gateway /usr/sbin/firezone-gateway-nft; do
  check "$f 755 root:root" test "$(mode $f)" = "755 root:root"
done
for m in filter static nat dns relay portal; do
  check "$moddir/$m.so 644 root:root" test "$(mode $moddir/$m.so)" = "644 root:root"
done
for f in /etc/firezone/gateway.conf /lib/systemd/system/firezone-gateway.service \
         /usr/lib/sysusers.d/firezone-gateway.conf /usr/lib/tmpfiles.d/firezone-gateway.conf \
         /usr/share/doc/firezone-gateway/copyright /usr/share/doc/firezone-gateway/changelog.Debian.gz \
         /usr/share/man/man8/firezone-gateway.8.gz /usr/share/man/man8/firezone-gateway-nft.8.gz \
         /usr/include/fzgw/module.h /usr/lib/$multiarch/cmake/fzgw/fzgwConfig.cmake; do
  check "$f 644 root:root" test "$(mode $f)" = "644 root:root"
done
check "binaries are stripped" bash -c "! file -L /usr/sbin/firezone-gateway $moddir/*.so | grep -q 'not stripped'"
check "no library missing (ldd)" bash -c "! ldd /usr/sbin/firezone-gateway $moddir/*.so | grep -q 'not found'"

# --- the user, the state directory, the token file
pw=$(getent passwd firezone)
check "system user firezone ($pw)" test -n "$pw"
uid=$(cut -d: -f3 <<<"$pw")
check "firezone is a system uid (< 1000)" test -n "$uid" -a "${uid:-1000}" -lt 1000
check "firezone has no login shell" grep -qE ':(/usr/sbin/nologin|/sbin/nologin|/bin/false)$' <<<"$pw"
check "group firezone" bash -c "getent group firezone >/dev/null"
check "/var/lib/firezone 750 firezone:firezone" test "$(mode /var/lib/firezone)" = "750 firezone:firezone"
check "/etc/firezone/gateway-token 600 root:root, empty" \
  test "$(mode /etc/firezone/gateway-token)" = "600 root:root" -a ! -s /etc/firezone/gateway-token
check "/etc/firezone 755 root:root" test "$(mode /etc/firezone)" = "755 root:root"
check "service not enabled by the install" bash -c '! ls /etc/systemd/system/*.wants/firezone-gateway.service 2>/dev/null'

# --- the installed binary and conffile
check "--version is $version" bash -c "/usr/sbin/firezone-gateway --version | grep -q ' $version '"
# portal mode needs a token, even to check (any value is enough): FIREZONE_TOKEN, or the
# credential the unit loads; as the service user, with nothing else in the environment
run_as_firezone() { setpriv --reuid firezone --regid firezone --init-groups env -i PATH=/usr/sbin:/usr/bin "$@"; }
run_as_firezone FIREZONE_TOKEN=placeholder /usr/sbin/firezone-gateway --check-config >"$TMP/cc" 2>&1; rc=$?
check "--check-config on the installed conffile as user firezone: exit 0 (got $rc)" test $rc = 0
check "  default config /etc/firezone/gateway.conf" grep -qx "config: /etc/firezone/gateway.conf" "$TMP/cc"
check "  module path is the package's $moddir" grep -qx "module path: $moddir" "$TMP/cc"
for m in filter dns nat portal relay; do
  check "  $m loaded from $moddir" grep -qE "^ +$m +loaded .* $moddir/$m.so$" "$TMP/cc"
done
check "  static off (portal mode)" grep -qE "^ +static +off " "$TMP/cc"
mkdir -p "$TMP/cred" && echo placeholder >"$TMP/cred/FIREZONE_TOKEN" && chmod -R a+rX "$TMP"
run_as_firezone CREDENTIALS_DIRECTORY="$TMP/cred" /usr/sbin/firezone-gateway --check-config >/dev/null 2>&1
check "--check-config with the token as a systemd credential: exit 0" test $? = 0
run_as_firezone /usr/sbin/firezone-gateway --check-config >"$TMP/cc" 2>&1; rc=$?
check "--check-config without a token: exit 78 and says so (got $rc)" \
  bash -c "[ $rc = 78 ] && grep -q 'needs a token' '$TMP/cc'"
check "firezone-gateway-nft --help" bash -c "/usr/sbin/firezone-gateway-nft --help | grep -q -- --remove"

# --- the installed unit, with its real commands
man=no; command -v man >/dev/null && man=yes
out=$(systemd-analyze verify --man=$man /lib/systemd/system/firezone-gateway.service 2>&1); rc=$?
check "systemd-analyze verify (installed unit, --man=$man): exit 0, silent${out:+: $out}" \
  test $rc = 0 -a -z "$out"

# --- firezone-gateway-dev: a third-party module built against the installed package alone
cp -r modules/examples/ratelimit "$TMP/rl"
if cmake -S "$TMP/rl" -B "$TMP/rl/b" -DCMAKE_BUILD_TYPE=Release >"$TMP/rl.log" 2>&1 &&
   cmake --build "$TMP/rl/b" >>"$TMP/rl.log" 2>&1; then
  ok "example module built with find_package(fzgw) from firezone-gateway-dev"
  chmod 644 "$TMP/rl/b/ratelimit.so"
  { grep -v '^ *#' /etc/firezone/gateway.conf | sed '/^modules = (/,$d'
    echo "modules = ( { name = \"filter\"; },"
    echo "  { name = \"ratelimit\"; path = \"$TMP/rl/b/ratelimit.so\"; settings = { rate = 1000; burst = 10; }; } );"
  } >"$TMP/rl.conf"
  chmod 644 "$TMP/rl.conf"
  run_as_firezone /usr/sbin/firezone-gateway --config "$TMP/rl.conf" --check-config >"$TMP/cc" 2>&1
  check "the installed gateway loads it" grep -qE "^ +ratelimit +loaded" "$TMP/cc"
else
  bad "example module against firezone-gateway-dev: $(tail -10 "$TMP/rl.log")"
fi

# --- a changed conffile survives a reinstall (dpkg's conffile handling)
echo "# edited by the operator" >>/etc/firezone/gateway.conf
dpkg -i "$TMP/$(basename "$deb")" >"$TMP/reinstall.log" 2>&1 </dev/null
check "reinstall keeps the edited conffile" grep -qx "# edited by the operator" /etc/firezone/gateway.conf
check "reinstall keeps user and state dir" test -d /var/lib/firezone -a -n "$(getent passwd firezone)"

# --- remove: the program goes, the config and the state stay
dpkg -r firezone-gateway-dev firezone-gateway >"$TMP/remove.log" 2>&1
check "dpkg -r: exit 0" test $? = 0
check "  status config-files" test "$(dpkg-query -W -f='${db:Status-Abbrev}' firezone-gateway)" = "rc "
check "  binary gone" test ! -e /usr/sbin/firezone-gateway
check "  module directory gone" test ! -e "/usr/lib/$multiarch/firezone-gateway"
check "  conffile kept" test -f /etc/firezone/gateway.conf
check "  state and token kept" test -d /var/lib/firezone -a -f /etc/firezone/gateway-token

# --- purge: nothing left
dpkg -P firezone-gateway-dev firezone-gateway >"$TMP/purge.log" 2>&1
check "dpkg -P: exit 0" test $? = 0
installed=0
check "  dpkg -L firezone-gateway: unknown" bash -c '! dpkg -L firezone-gateway >/dev/null 2>&1'
st=$(dpkg-query -W -f='${db:Status-Abbrev}' firezone-gateway 2>/dev/null)
check "  dpkg-query: not installed (status '$st')" test -z "$st" -o "$st" = "un "
left=()
while read -r f; do
  [ -d "$f" ] && continue # directories shared with other packages (/usr, /etc, ...)
  [ -e "$f" ] || [ -L "$f" ] && left+=("$f")
done <"$TMP/files"
check "  none of the package's files left${left:+: ${left[*]}}" test ${#left[@]} = 0
for d in /etc/firezone /var/lib/firezone "/usr/lib/$multiarch/firezone-gateway" /usr/share/doc/firezone-gateway \
         /usr/include/fzgw /usr/lib/$multiarch/cmake/fzgw; do
  check "  $d gone" test ! -e "$d"
done
check "  no enable or mask link left" bash -c '! ls /etc/systemd/system/firezone-gateway.service /etc/systemd/system/*.wants/firezone-gateway.service 2>/dev/null'
check "  user firezone kept (Debian policy)" bash -c "getent passwd firezone >/dev/null"

finish
