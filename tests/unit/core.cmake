# SPDX-License-Identifier: Apache-2.0
# Core: config, settings key tables, loader (against the test modules), chains, bus.
fzgw_add_unit_test(test_config SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_config.c ${CMAKE_CURRENT_SOURCE_DIR}/tmpfile.c LIBS fzgw_core)
fzgw_add_unit_test(test_loader SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_loader.c ${CMAKE_CURRENT_SOURCE_DIR}/tmpfile.c LIBS fzgw_core)
target_compile_definitions(test_loader PRIVATE TM_DIR="${PROJECT_BINARY_DIR}/tests/modules")
target_include_directories(test_loader PRIVATE ${PROJECT_SOURCE_DIR}/tests/modules)
add_dependencies(test_loader tm_a tm_b tm_c tm_major tm_newminor tm_short tm_nosym tm_ctor tm_ctorok tm_named
  tm_after tm_cyc1 tm_cyc2 tm_badafter)
fzgw_add_unit_test(test_bus SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_bus.c LIBS fzgw_core)
fzgw_add_unit_test(test_peers SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_peers.c LIBS fzgw_core)
fzgw_add_unit_test(test_api SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_api.c LIBS fzgw_modtest)
