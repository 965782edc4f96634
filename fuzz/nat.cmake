# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the dns and nat modules: the control path a client drives (AssignedIps and
# name patterns), and the whole nat module through its hooks with the checksum oracle.
# Name patterns come from the fzgw_dnsname library (instrumented like everything in a fuzz build).
set(fzgw_nat_dir ${PROJECT_SOURCE_DIR}/modules/nat)
fzgw_add_fuzz(fuzz_p2p_control
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_p2p_control.c ${fzgw_nat_dir}/p2p.c
  LIBS fzgw_dnsname fzgw_packet PkgConfig::JANSSON)
fzgw_add_fuzz(fuzz_nat
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_nat.c ${fzgw_nat_dir}/nat.c ${fzgw_nat_dir}/clients.c
          ${fzgw_nat_dir}/domains.c ${fzgw_nat_dir}/dest.c ${fzgw_nat_dir}/hooks.c ${fzgw_nat_dir}/p2p.c
          ${fzgw_nat_dir}/table.c ${fzgw_nat_dir}/icmp.c ${fzgw_nat_dir}/gauges.c
  LIBS fzgw_dnsname fzgw_packet PkgConfig::JANSSON PkgConfig::SODIUM)
