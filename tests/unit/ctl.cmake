# SPDX-License-Identifier: Apache-2.0
# The control socket's pieces: request parser, pcap writer and reader, grants tracker.
fzgw_add_unit_test(test_ctl SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_ctl.c LIBS fzgw_core)
