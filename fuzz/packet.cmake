# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of core/packet: the parser (with the ICMP builder) and the rewrite oracle.
fzgw_add_fuzz(fuzz_ip_packet SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_ip_packet.c LIBS fzgw_packet)
fzgw_add_fuzz(fuzz_ip_rewrite SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_ip_rewrite.c LIBS fzgw_packet)
