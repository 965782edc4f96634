# SPDX-License-Identifier: Apache-2.0
# WireGuard engine tests (core/wg); test_wg_harness.c is #included by the protocol tests.
fzgw_add_unit_test(test_wg_crypto SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wg_crypto.c LIBS fzgw_wg)
fzgw_add_unit_test(test_wg_handshake SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wg_handshake.c LIBS fzgw_wg)
