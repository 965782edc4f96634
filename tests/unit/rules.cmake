# SPDX-License-Identifier: Apache-2.0
# Policy routing (core/net/rules.c): the rule parser, then the TUN's routes in their own table
# with the inverted fwmark rule in a private network namespace (root only: exits 77, shown as
# skipped, when it cannot make one). Linked with --wrap=fzgw_nl_talk so the test can answer
# rule requests as a kernel without fwmark rules does.
if(TARGET fzgw_net)
  fzgw_add_unit_test(test_net_rules SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_rules.c
                     ${CMAKE_CURRENT_SOURCE_DIR}/shell_out.c LIBS fzgw_net)
  target_link_options(test_net_rules PRIVATE -Wl,--wrap=fzgw_nl_talk)
  set_tests_properties(test_net_rules PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
endif()
