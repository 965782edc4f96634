# SPDX-License-Identifier: Apache-2.0
# net_icmp_errors: forged ICMP errors from a site host reach a client only about its own flows.
add_test(NAME net_icmp_errors COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/icmp_errors.sh)
set_tests_properties(net_icmp_errors PROPERTIES
  ENVIRONMENT "${FZGW_NET_ENV}"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
