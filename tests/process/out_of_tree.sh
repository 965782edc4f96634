#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A third party's view: install the gateway to a prefix, build the example module against
# the installed header only, load it with --check-config and see its hooks in the chain.
source "$(dirname "$0")/lib.sh"
PFX=$TMP/prefix
"$CMAKE_BIN" --install "$BUILD_DIR" --prefix "$PFX" >"$TMP/install.log" 2>&1 || { fail "install: $(tail -3 "$TMP/install.log")"; finish; exit 1; }
[ -f "$PFX/include/fzgw/module.h" ] && pass "header installed" || fail "no installed header"
# copy the example out of the source tree so nothing but the prefix can be found
cp -r "$SRC_DIR/modules/examples/ratelimit" "$TMP/src"
if "$CMAKE_BIN" -S "$TMP/src" -B "$TMP/b" -DCMAKE_PREFIX_PATH="$PFX" -DCMAKE_BUILD_TYPE=Release >"$TMP/cfg.log" 2>&1 &&
   "$CMAKE_BIN" --build "$TMP/b" >"$TMP/build.log" 2>&1; then
  pass "example built out of tree"
else
  fail "out-of-tree build: $(tail -5 "$TMP/cfg.log" "$TMP/build.log")"; finish; exit 1
fi
grep -q -- "-I$SRC_DIR" "$TMP/b/CMakeFiles/ratelimit.dir/flags.make" && fail "build saw the source tree" || pass "only the installed header was used"
syms=$(nm -D --defined-only "$TMP/b/ratelimit.so" | awk '$2 != "w" && $3 !~ /^_/ {print $3}' | sort | tr '\n' ' ')
[ "$syms" = "fzgw_module " ] && pass "exports only fzgw_module" || fail "exports: $syms"
chmod 0644 "$TMP/b/ratelimit.so"
cat >"$TMP/gw.conf" <<CONF
gateway = { log = { level = "warn"; }; };
modules = (
  { name = "tm_a"; path = "$TM_DIR/tm_a.so"; priority = 100; },
  { name = "ratelimit"; path = "$TMP/b/ratelimit.so"; settings = { rate = 20000; burst = 256; }; }
);
CONF
"$PFX/sbin/firezone-gateway" --config "$TMP/gw.conf" --check-config >"$TMP/out" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "in-filter : \[50\] ratelimit/bandwidth-in -> \[100\] tm_a/in -> deny" "$TMP/out"; then
  pass "installed binary loads it: $(grep in-filter "$TMP/out" | xargs)"
else
  fail "check-config rc=$rc: $(cat "$TMP/out")"
fi
# the installed binary finds the installed modules without --module-path or module_path
# (its default is derived from its own location, not the configure-time prefix)
MODS_INSTALLED=$(cd "$PFX" && ls -d lib*/firezone-gateway/modules lib/*/firezone-gateway/modules 2>/dev/null | head -1)
cat >"$TMP/gw-static.conf" <<CONF
gateway = { log = { level = "warn"; }; };
modules = ( { name = "static"; settings = { ipv4 = "100.64.0.1"; }; } );
CONF
"$PFX/sbin/firezone-gateway" --config "$TMP/gw-static.conf" --check-config >"$TMP/out" 2>&1; rc=$?
if [ $rc = 0 ] && [ -n "$MODS_INSTALLED" ] && grep -qx "module path: $(cd "$PFX/$MODS_INSTALLED" && pwd -P)" "$TMP/out" &&
   grep -q "static  *loaded .*$PFX" "$TMP/out"; then
  pass "installed binary finds its modules under the install prefix"
else
  fail "default module path: rc=$rc dir=$MODS_INSTALLED $(cat "$TMP/out")"
fi
sed -i 's/rate = 20000;/rate = "fast";/' "$TMP/gw.conf"
"$PFX/sbin/firezone-gateway" --config "$TMP/gw.conf" --check-config >"$TMP/out" 2>&1; rc=$?
[ $rc = 78 ] && grep -q "$TMP/gw.conf:4: wrong type, expected an integer (key \"modules\[1\].settings.rate\")" "$TMP/out" && pass "its settings are validated with FILE:LINE" || fail "bad rate: rc=$rc $(cat "$TMP/out")"
finish
