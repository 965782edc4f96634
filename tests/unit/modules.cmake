# SPDX-License-Identifier: Apache-2.0
# Unit tests of the static and filter modules: their sources compiled in, driven by the real core.
add_library(fzgw_modtest STATIC ${CMAKE_CURRENT_LIST_DIR}/modtest.c)
target_link_libraries(fzgw_modtest PUBLIC fzgw_core PkgConfig::CMOCKA)
target_include_directories(fzgw_modtest PUBLIC ${PROJECT_SOURCE_DIR}/core ${CMAKE_CURRENT_LIST_DIR})

set(fzgw_static_dir ${PROJECT_SOURCE_DIR}/modules/static)
fzgw_add_unit_test(test_static
  SOURCES test_static.c ${fzgw_static_dir}/static.c ${fzgw_static_dir}/conf.c
          ${fzgw_static_dir}/values.c ${fzgw_static_dir}/publish.c
  LIBS fzgw_modtest PkgConfig::SODIUM)
target_include_directories(test_static PRIVATE ${fzgw_static_dir})

set(fzgw_filter_dir ${PROJECT_SOURCE_DIR}/modules/filter)
fzgw_add_unit_test(test_filter
  SOURCES test_filter.c seedtest.c ${fzgw_filter_dir}/filter.c ${fzgw_filter_dir}/events.c
          ${fzgw_filter_dir}/policy.c ${fzgw_filter_dir}/proxy.c ${fzgw_filter_dir}/index.c
          ${fzgw_filter_dir}/classify.c ${fzgw_filter_dir}/cache.c
          ${fzgw_filter_dir}/hooks.c ${fzgw_filter_dir}/addr.c ${fzgw_filter_dir}/htab.c
          ${fzgw_filter_dir}/res.c
  LIBS fzgw_modtest)
target_include_directories(test_filter PRIVATE ${fzgw_filter_dir})

# The built modules, loaded by the real loader and chained by the core.
fzgw_add_unit_test(test_filter_static SOURCES test_filter_static.c LIBS fzgw_modtest)
add_dependencies(test_filter_static filter static)
target_compile_definitions(test_filter_static PRIVATE
  FZGW_TEST_FILTER_SO="$<TARGET_FILE:filter>" FZGW_TEST_STATIC_SO="$<TARGET_FILE:static>")
