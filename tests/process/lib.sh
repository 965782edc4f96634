# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the whole-process tests.
set -u
TMP=$(mktemp -d /tmp/fzgw-proc.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0; passes=0
pass() { passes=$((passes + 1)); echo "ok   - $*"; }
fail() { fails=$((fails + 1)); echo "FAIL - $*"; }
finish() {
  echo "$passes passed, $fails failed"
  [ "$fails" = 0 ]
}
# wait_for FILE PATTERN [SECONDS]: wait until FILE has a line matching PATTERN
wait_for() {
  local i
  for i in $(seq 1 $((${3:-5} * 20))); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
