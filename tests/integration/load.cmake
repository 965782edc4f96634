# SPDX-License-Identifier: Apache-2.0
# Load and time tests (RELIABILITY.md 16, 17, 22-24, 29, 31): tests/integration/load_*.sh with
# fzgw_loadgen (loadgen.c: floods, key pairs, many handshaking clients).
add_executable(fzgw_loadgen ${CMAKE_CURRENT_SOURCE_DIR}/loadgen.c)
target_link_libraries(fzgw_loadgen PRIVATE fzgw_wg)
set(FZGW_LOAD_ENV "${FZGW_NET_ENV};LOADGEN=$<TARGET_FILE:fzgw_loadgen>")
if(FZGW_SANITIZE)
  list(APPEND FZGW_LOAD_ENV "FZGW_ASAN=1")
endif()
add_test(NAME net_load_flood COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/load_flood.sh)
set_tests_properties(net_load_flood PROPERTIES
  ENVIRONMENT "${FZGW_LOAD_ENV}" SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
add_test(NAME net_load_reliability COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/load_reliability.sh)
set_tests_properties(net_load_reliability PROPERTIES
  ENVIRONMENT "${FZGW_LOAD_ENV}" SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
add_test(NAME net_load_updown COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/load_updown.sh)
set_tests_properties(net_load_updown PROPERTIES
  ENVIRONMENT "${FZGW_LOAD_ENV}" SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
add_test(NAME net_load_soak COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/load_soak.sh)
set_tests_properties(net_load_soak PROPERTIES
  ENVIRONMENT "${FZGW_LOAD_ENV}" SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 600)
