# SPDX-License-Identifier: Apache-2.0
# net_udp_offload: UDP GSO/GRO on the WireGuard sockets, on and off, with a wireguard-go client.
add_test(NAME net_udp_offload COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/udp_offload.sh)
set_tests_properties(net_udp_offload PROPERTIES
  ENVIRONMENT "${FZGW_NET_ENV}"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
