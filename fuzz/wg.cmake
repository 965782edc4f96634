# SPDX-License-Identifier: Apache-2.0
# WireGuard engine: every message type into a responder and an initiator with a live session.
fzgw_add_fuzz(fuzz_wg_message SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_wg_message.c LIBS fzgw_wg)
