# SPDX-License-Identifier: Apache-2.0
# net_policy_routing: the TUN's routes in table 0x2021fd00 behind the original's inverted fwmark
# rule, traffic through it, a restart over stale rules, cleanup on SIGTERM, routing_table = 0.
add_test(NAME net_policy_routing COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/policy_routing.sh)
set_tests_properties(net_policy_routing PROPERTIES
  ENVIRONMENT "${FZGW_NET_ENV}"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
