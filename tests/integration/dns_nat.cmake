# SPDX-License-Identifier: Apache-2.0
# DNS resources end to end (dns + nat modules, dnsmasq, a wireguard-go client): root only, else skipped.
add_test(NAME net_dns_nat COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/dns_nat.sh)
set_tests_properties(net_dns_nat PROPERTIES
  ENVIRONMENT "FZGW_BIN=$<TARGET_FILE:firezone-gateway>;MOD_DIR=${PROJECT_BINARY_DIR}/modules;TM_DIR=${PROJECT_BINARY_DIR}/tests/modules"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
