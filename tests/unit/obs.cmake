# SPDX-License-Identifier: Apache-2.0
# Observability: systemd notifications, the Prometheus text writer and page, the health server.
# notify.c is compiled into two tests: through libsystemd's sd_notify and through the built-in
# sender (the fallback when libsystemd is missing), against the same listener.
fzgw_add_unit_test(test_obs_notify SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_obs_notify.c
  ${PROJECT_SOURCE_DIR}/core/notify.c LIBS fzgw_headers)
target_include_directories(test_obs_notify PRIVATE ${PROJECT_SOURCE_DIR}/core)
if(FZGW_LIBSYSTEMD)
  pkg_check_modules(FZGW_OBS_SYSTEMD QUIET IMPORTED_TARGET libsystemd)
endif()
if(FZGW_OBS_SYSTEMD_FOUND)
  target_compile_definitions(test_obs_notify PRIVATE FZGW_HAVE_LIBSYSTEMD)
  target_link_libraries(test_obs_notify PRIVATE PkgConfig::FZGW_OBS_SYSTEMD)
  fzgw_add_unit_test(test_obs_notify_builtin SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_obs_notify.c
    ${PROJECT_SOURCE_DIR}/core/notify.c LIBS fzgw_headers)
  target_include_directories(test_obs_notify_builtin PRIVATE ${PROJECT_SOURCE_DIR}/core)
endif()
fzgw_add_unit_test(test_obs_metrics SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_obs_metrics.c LIBS fzgw_core)
fzgw_add_unit_test(test_obs_http SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_obs_http.c
  ${CMAKE_CURRENT_SOURCE_DIR}/tmpfile.c LIBS fzgw_core)
# the loader test's 2.0 module (ABI 2.1 keeps loading 2.0 modules)
add_dependencies(test_loader tm_minor0)
