# SPDX-License-Identifier: Apache-2.0
# net_obs: systemd notifications, /healthz, /readyz and /metrics of a standalone gateway with
# a wireguard-go client (obs.sh); net_obs_portal: readiness driven by the stand-in portal
# (obs_portal.sh). Both need root (exit 77 otherwise) and python3-prometheus-client.
foreach(t obs obs_portal)
  add_test(NAME net_${t} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${t}.sh)
  set_tests_properties(net_${t} PROPERTIES
    ENVIRONMENT "${FZGW_NET_ENV}"
    SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 300)
endforeach()
