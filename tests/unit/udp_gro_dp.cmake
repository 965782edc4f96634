# SPDX-License-Identifier: Apache-2.0
# The data plane with UDP_GRO on its socket: a coalesced burst delivered, an empty pool.
fzgw_add_unit_test(test_core_udp_gro SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_core_udp_gro.c
  ${CMAKE_CURRENT_SOURCE_DIR}/dp_harness.c LIBS fzgw_core)
