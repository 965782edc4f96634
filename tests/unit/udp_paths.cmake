# SPDX-License-Identifier: Apache-2.0
# The core's UDP demultiplexing (RFC 7983) and client paths: the classifier, claimed classes,
# datagrams a module sends, and WireGuard sessions over direct, relayed and pending paths.
fzgw_add_unit_test(test_core_udp_class SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_core_udp_class.c
  LIBS fzgw_core)
foreach(t test_core_udp_demux test_core_paths)
  fzgw_add_unit_test(${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c ${CMAKE_CURRENT_SOURCE_DIR}/dp_harness.c
    LIBS fzgw_core)
endforeach()
