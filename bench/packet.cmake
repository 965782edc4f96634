# SPDX-License-Identifier: Apache-2.0
# bench_packet: per-packet cost of parsing, classification, rewriting and ICMP errors.
add_executable(bench_packet ${CMAKE_CURRENT_SOURCE_DIR}/bench_packet.c)
target_link_libraries(bench_packet PRIVATE fzgw_packet)
