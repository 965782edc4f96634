# SPDX-License-Identifier: Apache-2.0
# Tests of core/packet: parser table, checksums, rewriting, ICMP error builder.
foreach(t test_ip_parse test_ip_checksum test_ip_rewrite test_ip_icmp)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c)
    fzgw_add_unit_test(${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c LIBS fzgw_packet)
  endif()
endforeach()
