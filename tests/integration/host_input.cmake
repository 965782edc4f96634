# SPDX-License-Identifier: Apache-2.0
# net_host_input: clients cannot reach the gateway host's services (scripts/gateway-nft.sh).
add_test(NAME net_host_input COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/host_input.sh)
set_tests_properties(net_host_input PROPERTIES
  ENVIRONMENT "${FZGW_NET_ENV}"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
