# SPDX-License-Identifier: Apache-2.0
# net_ctl: `firezone-gateway status` and `capture` against a running gateway (ctl.sh).
add_test(NAME net_ctl COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/ctl.sh)
set_tests_properties(net_ctl PROPERTIES
  ENVIRONMENT "${FZGW_NET_ENV}"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
