# SPDX-License-Identifier: Apache-2.0
# gateway.workers: the data path end to end with 2 threads (net_datapath runs the default, 1), and
# two clients at once through 2 output workers (workers = 3).
add_test(NAME net_datapath_w2 COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/datapath.sh)
set_tests_properties(net_datapath_w2 PROPERTIES
  ENVIRONMENT "${FZGW_NET_ENV};FZI_WORKERS=2"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
add_test(NAME net_workers COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/workers.sh)
set_tests_properties(net_workers PROPERTIES
  ENVIRONMENT "${FZGW_NET_ENV}"
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
