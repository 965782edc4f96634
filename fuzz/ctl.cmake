# SPDX-License-Identifier: Apache-2.0
# Fuzz target of the control socket: the request line.
fzgw_add_fuzz(fuzz_ctl_request SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_ctl_request.c LIBS fzgw_core)
