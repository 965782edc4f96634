# SPDX-License-Identifier: Apache-2.0
# The checks of the shell tests (sourced by topo.sh): "ok   - ..." / "FAIL - ..." lines and the
# closing "N passed, N failed".
#   pass MSG / fail MSG       one check
#   check MSG CMD [ARGS...]   pass or fail by a command's status
#   checkif MSG 'CONDITION'   pass or fail by a shell condition
#   fzi_finish [N]            ends a namespace test: when a check failed, the script's own
#                             fzi_on_failure (if it defines one) and the last N (25) lines of the
#                             gateway's log; then fzi_cleanup, the leftovers check, the closing
#                             line; exits 0 only when every check passed
#   fzi_has_line TEXT LINE    TEXT has LINE as one of its lines (no pipe, no child process)
#   ... | fzi_match ARGS      grep ARGS as a condition, reading its input to the end: the tests
#                             run with pipefail, and "grep -q" leaving at the first match can
#                             kill a writer still writing (SIGPIPE) and so fail the pipeline
passes=0; fails=0
pass() { passes=$((passes + 1)); echo "ok   - $*"; }
fail() { fails=$((fails + 1)); echo "FAIL - $*"; }
check() { local msg=$1; shift; if "$@"; then pass "$msg"; else fail "$msg"; fi; }
checkif() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }
fzi_match() { grep "$@" >/dev/null; }
fzi_has_line() { [[ $'\n'$1$'\n' == *$'\n'"$2"$'\n'* ]]; }
fzi_finish() {
  local left
  if [ "$fails" -gt 0 ]; then
    if declare -F fzi_on_failure >/dev/null; then fzi_on_failure; fi
    if [ -s "${FZI_STATE:-/nonexistent}/gateway.log" ]; then
      echo "# last lines of the gateway's log:"; tail -n "${1:-25}" "$FZI_STATE/gateway.log" | sed 's/^/#   /'
    fi
  fi
  fzi_cleanup
  left=$(fzi_leftovers)
  if [ -z "$left" ]; then pass "nothing left behind (namespaces, processes, sockets)"; else fail "left behind: $(echo $left)"; fi
  echo "$passes passed, $fails failed"
  [ "$fails" = 0 ]
  exit
}
