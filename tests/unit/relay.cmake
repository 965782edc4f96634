# SPDX-License-Identifier: Apache-2.0
# Tests of the relay module's sans-IO pieces (modules/relay: fzgw_relay_proto).
foreach(t test_stun test_stun_demux test_turn_alloc test_ice_cand test_ice_agent)
  fzgw_add_unit_test(${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.c LIBS fzgw_relay_proto)
endforeach()
