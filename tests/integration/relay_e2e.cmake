# SPDX-License-Identifier: Apache-2.0
# relay_e2e: our gateway with the relay module against coturn, the portal stand-in and an ICE
# client we did not write (python3-aioice, controlling) with wireguard-go behind it: direct,
# through NATs, relayed on both sides (with allocation refreshes), the direct path cut, coturn
# restarted, a relay withdrawn, no relay at all (tests/integration/relay/relay_e2e.sh). Root
# only; exit 77 (skipped) without root, coturn or python3-aioice. Serial: namespaces and TUNs.
add_test(NAME relay_e2e COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/relay/relay_e2e.sh)
set_tests_properties(relay_e2e PROPERTIES
  ENVIRONMENT "${FZGW_NET_ENV}"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 600)
