# SPDX-License-Identifier: Apache-2.0
# Tests of core/net: the packet pool, UDP batches on loopback, TUN and rtnetlink in a private
# network namespace (root only: exits 77, shown as skipped, when it cannot make one).
if(TARGET fzgw_net)
  foreach(t test_net_pool test_net_udp)
    fzgw_add_unit_test(${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c LIBS fzgw_net)
  endforeach()
  fzgw_add_unit_test(test_net_tun SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_tun.c
                     ${CMAKE_CURRENT_SOURCE_DIR}/shell_out.c LIBS fzgw_net)
  set_tests_properties(test_net_tun PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
endif()
