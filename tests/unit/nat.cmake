# SPDX-License-Identifier: Apache-2.0
# Tests of the dns and nat modules: their pure sources compiled in, the modules driven by the real core.
# The code both share (name patterns, the dns.resolve table) is the fzgw_dnsname library.
set(fzgw_dns_dir ${PROJECT_SOURCE_DIR}/modules/dns)
set(fzgw_nat_dir ${PROJECT_SOURCE_DIR}/modules/nat)

fzgw_add_unit_test(test_dns_pattern
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dns_pattern.c ${fzgw_dns_dir}/hosts.c
  LIBS fzgw_dnsname)
target_include_directories(test_dns_pattern PRIVATE ${fzgw_dns_dir})

fzgw_add_unit_test(test_p2p
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_p2p.c ${fzgw_nat_dir}/p2p.c
  LIBS fzgw_dnsname fzgw_packet PkgConfig::JANSSON)
target_include_directories(test_p2p PRIVATE ${fzgw_nat_dir})

fzgw_add_unit_test(test_nat_table
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_nat_table.c ${fzgw_nat_dir}/table.c
  LIBS fzgw_headers)
target_include_directories(test_nat_table PRIVATE ${fzgw_nat_dir})

fzgw_add_unit_test(test_dns_resolve
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dns_resolve.c ${fzgw_dns_dir}/dns.c ${fzgw_dns_dir}/resolve.c
          ${fzgw_dns_dir}/hosts.c
  LIBS fzgw_dnsname fzgw_modtest PkgConfig::EVENT)
target_include_directories(test_dns_resolve PRIVATE ${fzgw_dns_dir})

fzgw_add_unit_test(test_nat_module
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_nat_module.c ${CMAKE_CURRENT_LIST_DIR}/seedtest.c ${fzgw_nat_dir}/nat.c ${fzgw_nat_dir}/clients.c
          ${fzgw_nat_dir}/domains.c ${fzgw_nat_dir}/dest.c ${fzgw_nat_dir}/hooks.c ${fzgw_nat_dir}/p2p.c
          ${fzgw_nat_dir}/table.c ${fzgw_nat_dir}/icmp.c ${fzgw_nat_dir}/gauges.c
  LIBS fzgw_dnsname fzgw_modtest PkgConfig::JANSSON)
target_include_directories(test_nat_module PRIVATE ${fzgw_nat_dir})
