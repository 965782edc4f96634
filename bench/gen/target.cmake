# SPDX-License-Identifier: Apache-2.0
# fzgw_gen, the load generator (bench/fzgw_gen.c, bench/gen/): included by bench/gen.cmake and
# by tests/integration/gen.cmake (its tests run in the sanitizer build too, which has no bench).
if(NOT TARGET fzgw_gen)
  find_package(Threads REQUIRED)
  add_executable(fzgw_gen
    ${PROJECT_SOURCE_DIR}/bench/fzgw_gen.c
    ${PROJECT_SOURCE_DIR}/bench/gen/sys.c
    ${PROJECT_SOURCE_DIR}/bench/gen/pkt.c
    ${PROJECT_SOURCE_DIR}/bench/gen/sess.c
    ${PROJECT_SOURCE_DIR}/bench/gen/flow.c)
  target_include_directories(fzgw_gen PRIVATE ${PROJECT_SOURCE_DIR}/bench/gen)
  target_link_libraries(fzgw_gen PRIVATE fzgw_wg Threads::Threads)
endif()
# one place whatever folder defined it first: bench/run.sh looks for BUILD/bench/fzgw_gen
set_target_properties(fzgw_gen PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
