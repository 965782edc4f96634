# SPDX-License-Identifier: Apache-2.0
# Tests of the TUN offloads in core/net: coalescing into GSO writes, splitting GSO reads.
if(TARGET fzgw_net)
  foreach(t test_offload_gro test_offload_gso)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c)
      fzgw_add_unit_test(${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c LIBS fzgw_net fzgw_packet)
    endif()
  endforeach()
endif()
