#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Each bad config of the table makes the binary exit 78 with exactly one line FILE:LINE: ...
source "$(dirname "$0")/lib.sh"
C=$TMP/gw.conf

# case NAME EXPECTED_LINE SUBSTRING CONFIG_TEXT [ENV...]
case_() {
  local name=$1 line=$2 want=$3 text=$4; shift 4
  printf '%s' "$text" >"$C"
  env "$@" "$FZGW_BIN" --config "$C" --module-path "$TM_DIR" --check-config >"$TMP/out" 2>"$TMP/err"
  local rc=$? n
  n=$(wc -l <"$TMP/err")
  if [ $rc = 78 ] && [ "$n" = 1 ] && grep -qF "$C:$line: " "$TMP/err" && grep -qF -- "$want" "$TMP/err"; then
    pass "$name: exit 78, $(cat "$TMP/err")"
  else
    fail "$name: rc=$rc lines=$n want \"$C:$line: ...$want\" got: $(cat "$TMP/err")"
  fi
}
G='gateway = { log = { level = "error"; }; };'
case_ syntax-error 2 "syntax error" $'gateway = {\n  site = ;\n};\nmodules = ();\n'
case_ wrong-type 2 'expected an integer (key "gateway.listen_port")' $'gateway = {\n  listen_port = "x";\n};\nmodules = ();\n'
case_ unknown-core-key 3 'unknown key (key "gateway.tun.colour")' $'gateway = {\n  tun = {\n    colour = 1; };\n};\nmodules = ();\n'
case_ unknown-entry-key 3 'unknown key (key "modules[0].flavour")' "$G"$'\nmodules = (\n  { name = "tm_a"; flavour = 2; }\n);\n'
case_ missing-module 3 'no such module file' "$G"$'\nmodules = (\n  { name = "nosuchmodule"; }\n);\n'
case_ duplicate-module 4 'duplicate module "tm_a"' "$G"$'\nmodules = (\n  { name = "tm_a"; },\n  { name = "tm_a"; }\n);\n'
cp "$TM_DIR/tm_a.so" "$TMP/tm_a.so"; chmod 0666 "$TMP/tm_a.so"
case_ world-writable 3 'group- or world-writable' "$G"$'\nmodules = (\n  { name = "tm_a"; path = "'"$TMP"$'/tm_a.so"; }\n);\n'
case_ abi-major 3 'built for module ABI 1.0' "$G"$'\nmodules = (\n  { name = "tm_major"; }\n);\n'
case_ abi-newer-minor 3 'newer than this gateway' "$G"$'\nmodules = (\n  { name = "tm_newminor"; }\n);\n'
case_ no-descriptor 3 'no exported symbol fzgw_module' "$G"$'\nmodules = (\n  { name = "tm_nosym"; }\n);\n'
case_ name-mismatch 3 'module calls itself' "$G"$'\nmodules = (\n  { name = "tm_named"; }\n);\n'
case_ module-unknown-setting 4 'unknown key (key "modules[0].settings.colour")' "$G"$'\nmodules = (\n  { name = "tm_a";\n    settings = { colour = 1; }; }\n);\n'
case_ module-bad-value 3 'unknown verdict "sometimes"' "$G"$'\nmodules = (\n  { name = "tm_a"; settings = { verdict = "sometimes"; }; }\n);\n'
case_ module-init-fails 3 'refused its settings' "$G"$'\nmodules = (\n  { name = "tm_a"; settings = { fail_init = true; }; }\n);\n'
case_ missing-modules-list 1 'missing required key "modules"' $'gateway = {};\n'
case_ bad-log-level 2 'unknown log level' $'gateway = {\n  log = { level = "chatty"; };\n};\nmodules = ();\n'
case_ portal-without-token 3 'needs a token' "$G"$'\nmodules = (\n  { name = "portal"; }\n);\n' FIREZONE_TOKEN= CREDENTIALS_DIRECTORY=
case_ bad-site-in-list 3 'expected a site name string' "$G"$'\nmodules = (\n  { name = "tm_a"; sites = [ 1 ]; }\n);\n'

# a missing config file
"$FZGW_BIN" --config "$TMP/none.conf" --check-config 2>"$TMP/err"; rc=$?
[ $rc = 78 ] && grep -qF "$TMP/none.conf:0: cannot read config file" "$TMP/err" && pass "missing-file: exit 78" || fail "missing-file: rc=$rc $(cat "$TMP/err")"
# usage errors exit 64, --version and --help exit 0
"$FZGW_BIN" --bogus >/dev/null 2>&1; rc=$?; [ $rc = 64 ] && pass "unknown flag: exit 64" || fail "unknown flag: rc=$rc"
"$FZGW_BIN" extra-arg >/dev/null 2>&1; rc=$?; [ $rc = 64 ] && pass "extra argument: exit 64" || fail "extra argument: rc=$rc"
"$FZGW_BIN" --version | grep -q "^firezone-gateway " && pass "--version" || fail "--version"
"$FZGW_BIN" --help | grep -q "check-config" && pass "--help" || fail "--help"
# a good config exits 0 and prints the chains, the disabled module is off, sites apply
printf '%s' "$G"$'\nmodules = (\n  { name = "tm_a"; },\n  { name = "tm_b"; priority = 5; },\n  { name = "tm_c"; sites = ["lab"]; }\n);\n' >"$C"
"$FZGW_BIN" --config "$C" --module-path "$TM_DIR" --check-config >"$TMP/out" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "in-filter : \[5\] tm_b/in -> \[10\] tm_a/in -> deny" "$TMP/out" && grep -q "tm_c .*off" "$TMP/out"; then
  pass "good config: exit 0, chain printed"
else fail "good config: rc=$rc $(cat "$TMP/out")"; fi
FIREZONE_SITE=lab "$FZGW_BIN" --config "$C" --module-path "$TM_DIR" --check-config >"$TMP/out" 2>&1
grep -q "in-filter : \[5\] tm_b/in -> \[10\] tm_a/in -> \[10\] tm_c/in -> deny" "$TMP/out" && pass "FIREZONE_SITE=lab loads tm_c" || fail "site override: $(cat "$TMP/out")"
finish
