# SPDX-License-Identifier: Apache-2.0
# Tests of the TUN offloads for UDP in core/net: datagrams coalesced into GSO_UDP_L4 writes.
if(TARGET fzgw_net)
  fzgw_add_unit_test(test_offload_gro_udp
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_offload_gro_udp.c LIBS fzgw_net fzgw_packet)
endif()
