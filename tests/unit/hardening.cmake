# SPDX-License-Identifier: Apache-2.0
# The data plane under pressure (issue 12): staged buffers capped for all clients, an empty pool
# drained, held packets of removed clients dropped, held packets across a chain rebuild.
fzgw_add_unit_test(test_core_hardening SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_core_hardening.c
  ${CMAKE_CURRENT_SOURCE_DIR}/dp_harness.c LIBS fzgw_core)
# Cookie replies stuck on an unanswered neighbour must not block tunnels (its own network
# namespace with a veth: skipped unless root).
fzgw_add_unit_test(test_core_unproven SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_core_unproven.c
  ${CMAKE_CURRENT_SOURCE_DIR}/dp_harness.c LIBS fzgw_core)
