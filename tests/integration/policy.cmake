# SPDX-License-Identifier: Apache-2.0
# net_policy: the zero-trust policy in network namespaces (policy.sh). The ratelimit example is
# built here from its source, outside the gateway's module directory and never installed.
fzgw_add_module(net_policy_ratelimit NO_INSTALL
  OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/policy-modules
  SOURCES ${PROJECT_SOURCE_DIR}/modules/examples/ratelimit/ratelimit.c)
set_target_properties(net_policy_ratelimit PROPERTIES OUTPUT_NAME ratelimit)

set(fzgw_policy_env ${FZGW_NET_ENV} "RL_SO=$<TARGET_FILE:net_policy_ratelimit>")
if(FZGW_SANITIZE)
  # a sanitized gateway is several times slower: a lower limit it surely reaches
  list(APPEND fzgw_policy_env "RL_RATE=10000")
endif()
add_test(NAME net_policy COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/policy.sh)
set_tests_properties(net_policy PROPERTIES
  ENVIRONMENT "${fzgw_policy_env}"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
