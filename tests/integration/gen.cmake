# SPDX-License-Identifier: Apache-2.0
# The load generator's own test (issue 14): fzgw_gen against our gateway passes with no loss;
# the same run with the gateway's namespace dropping a share of the sink's packets must fail.
include(${PROJECT_SOURCE_DIR}/bench/gen/target.cmake)
set(FZGW_GEN_ENV "${FZGW_NET_ENV};GEN=$<TARGET_FILE:fzgw_gen>")
if(FZGW_SANITIZE)
  list(APPEND FZGW_GEN_ENV "FZGW_ASAN=1")
endif()
add_test(NAME net_gen COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/gen.sh)
set_tests_properties(net_gen PROPERTIES
  ENVIRONMENT "${FZGW_GEN_ENV}" SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
