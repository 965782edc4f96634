# SPDX-License-Identifier: Apache-2.0
# The control socket's pieces: request parser, pcap writer and reader, grants tracker.
fzgw_add_unit_test(test_ctl SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_ctl.c LIBS fzgw_core)
# The control socket on a loop of its own, without a data plane: its file, replies, limits.
fzgw_add_unit_test(test_ctl_server SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_ctl_server.c LIBS fzgw_core)
