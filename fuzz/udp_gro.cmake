# SPDX-License-Identifier: Apache-2.0
# Fuzz target of core/net: a coalesced UDP read (UDP_GRO) cut into datagrams.
fzgw_add_fuzz(fuzz_udp_gro SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_udp_gro.c LIBS fzgw_net)
