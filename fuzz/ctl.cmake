# SPDX-License-Identifier: Apache-2.0
# Fuzz target of the control socket: the request line.
fzgw_add_fuzz(fuzz_ctl_request SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_ctl_request.c LIBS fzgw_core)
# The capture client's pcap stream reader (bytes from the control socket).
fzgw_add_fuzz(fuzz_pcap_reader SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_pcap_reader.c LIBS fzgw_core)
