# SPDX-License-Identifier: Apache-2.0
# bench_filter: the filter module's classification cost with 10 to 100,000 resources.
set(fzgw_bench_filter_dir ${PROJECT_SOURCE_DIR}/modules/filter)
add_executable(bench_filter ${CMAKE_CURRENT_SOURCE_DIR}/bench_filter.c
  ${fzgw_bench_filter_dir}/filter.c ${fzgw_bench_filter_dir}/events.c
  ${fzgw_bench_filter_dir}/policy.c ${fzgw_bench_filter_dir}/proxy.c
  ${fzgw_bench_filter_dir}/index.c ${fzgw_bench_filter_dir}/classify.c
  ${fzgw_bench_filter_dir}/cache.c ${fzgw_bench_filter_dir}/hooks.c
  ${fzgw_bench_filter_dir}/addr.c ${fzgw_bench_filter_dir}/htab.c
  ${fzgw_bench_filter_dir}/res.c)
target_include_directories(bench_filter PRIVATE ${fzgw_bench_filter_dir})
target_link_libraries(bench_filter PRIVATE fzgw_core)
