# SPDX-License-Identifier: Apache-2.0
# The load generator's receive side (bench/gen): session lookup, data classification, payload.
fzgw_add_fuzz(fuzz_gen_rx
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_gen_rx.c ${PROJECT_SOURCE_DIR}/bench/gen/sess.c
          ${PROJECT_SOURCE_DIR}/bench/gen/pkt.c ${PROJECT_SOURCE_DIR}/bench/gen/sys.c
  LIBS fzgw_wg)
if(TARGET fuzz_gen_rx)
  target_include_directories(fuzz_gen_rx PRIVATE ${PROJECT_SOURCE_DIR}/bench/gen)
elseif(TARGET fuzz_gen_rx_replay)
  target_include_directories(fuzz_gen_rx_replay PRIVATE ${PROJECT_SOURCE_DIR}/bench/gen)
endif()
