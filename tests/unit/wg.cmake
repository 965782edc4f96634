# SPDX-License-Identifier: Apache-2.0
# WireGuard engine tests (core/wg); test_wg_harness.c is #included by the protocol tests.
fzgw_add_unit_test(test_wg_crypto SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wg_crypto.c LIBS fzgw_wg)
fzgw_add_unit_test(test_wg_handshake SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wg_handshake.c LIBS fzgw_wg)
fzgw_add_unit_test(test_wg_replay SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wg_replay.c LIBS fzgw_wg)
fzgw_add_unit_test(test_wg_ratelimiter SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wg_ratelimiter.c LIBS fzgw_wg)
fzgw_add_unit_test(test_wg_messages SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wg_messages.c LIBS fzgw_wg)
fzgw_add_unit_test(test_wg_cookie SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wg_cookie.c LIBS fzgw_wg)
fzgw_add_unit_test(test_wg_timers SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wg_timers.c LIBS fzgw_wg)
fzgw_add_unit_test(test_wg_vectors SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wg_vectors.c LIBS fzgw_wg)

# Interop with wireguard-go in network namespaces (needs root; exit 77 = skipped).
add_test(NAME wg_interop
         COMMAND ${PROJECT_SOURCE_DIR}/tests/integration/wg_interop.sh $<TARGET_FILE:fzgw_wg_probe>)
set_tests_properties(wg_interop PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180)
