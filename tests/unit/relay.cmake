# SPDX-License-Identifier: Apache-2.0
# Tests of the relay module's sans-IO pieces (modules/relay: fzgw_relay_proto).
foreach(t test_stun test_stun_demux test_turn_alloc test_ice_cand test_ice_agent)
  fzgw_add_unit_test(${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.c LIBS fzgw_relay_proto)
endforeach()
# The module through the real core (modtest), its sources compiled in.
set(fzgw_relay_dir ${PROJECT_SOURCE_DIR}/modules/relay)
fzgw_add_unit_test(test_relay_module
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_relay_module.c ${fzgw_relay_dir}/relay.c
          ${fzgw_relay_dir}/relays.c ${fzgw_relay_dir}/conns.c ${fzgw_relay_dir}/cands.c
          ${fzgw_relay_dir}/io.c ${fzgw_relay_dir}/paths.c ${fzgw_relay_dir}/state.c
          ${fzgw_relay_dir}/gauges.c
  LIBS fzgw_relay_proto fzgw_relaysvc fzgw_modtest PkgConfig::SODIUM)
target_include_directories(test_relay_module PRIVATE ${fzgw_relay_dir})
