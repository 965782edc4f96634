# SPDX-License-Identifier: Apache-2.0
# The data plane's output workers (gateway.workers): sharding, order, pool, back-pressure, stop.
fzgw_add_unit_test(test_dp_workers SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_dp_workers.c
  ${CMAKE_CURRENT_SOURCE_DIR}/dp_harness.c LIBS fzgw_core)
