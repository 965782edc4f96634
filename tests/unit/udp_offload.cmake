# SPDX-License-Identifier: Apache-2.0
# Tests of the UDP socket offloads in core/net: GSO send planning, GRO read cutting, both
# through sockets on loopback (a kernel without them skips those cases).
if(TARGET fzgw_net)
  fzgw_add_unit_test(test_net_udp_offload
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_udp_offload.c LIBS fzgw_net)
endif()
