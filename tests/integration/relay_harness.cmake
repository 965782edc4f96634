# SPDX-License-Identifier: Apache-2.0
# relay_harness_selftest: the relay test harness (tests/integration/relay/) checked on its own,
# without our gateway: coturn, the NAT namespaces, the portal stand-in's ICE plumbing and the
# aioice client, against a stand-in gateway (aioice + wireguard-go). Root only; exit 77
# (skipped) without root, coturn or python3-aioice. Serial: namespaces and TUNs.
add_test(NAME relay_harness_selftest COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/relay/relay_harness_selftest.sh)
set_tests_properties(relay_harness_selftest PROPERTIES
  ENVIRONMENT "${FZGW_NET_ENV}"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 600)
