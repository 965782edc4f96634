# SPDX-License-Identifier: Apache-2.0
# Unit tests of the portal module: its parsing, validation and protocol sources compiled in.
pkg_check_modules(FZGW_PT_SSL REQUIRED IMPORTED_TARGET openssl)
find_package(wslay CONFIG REQUIRED)
set(fzgw_portal_dir ${PROJECT_SOURCE_DIR}/modules/portal)

# fzgw_portal_test(NAME SOURCES <files of modules/portal> [EXTRA <files here>] [LIBS ...])
function(fzgw_portal_test name)
  cmake_parse_arguments(P "" "" "SOURCES;EXTRA;LIBS" ${ARGN})
  list(TRANSFORM P_SOURCES PREPEND ${fzgw_portal_dir}/)
  fzgw_add_unit_test(${name} SOURCES ${name}.c ${P_SOURCES} ${P_EXTRA}
    LIBS fzgw_headers PkgConfig::JANSSON PkgConfig::SODIUM ${P_LIBS})
  target_include_directories(${name} PRIVATE ${fzgw_portal_dir})
endfunction()

fzgw_portal_test(test_portal_msg SOURCES msg.c resource.c jfield.c values.c resdef.c)
fzgw_portal_test(test_portal_url SOURCES url.c identity.c token.c values.c EXTRA tmpfile.c)
fzgw_portal_test(test_portal_backoff SOURCES backoff.c)
fzgw_portal_test(test_portal_conf SOURCES conf.c url.c backoff.c
  LIBS fzgw_modtest PkgConfig::FZGW_PT_SSL)
fzgw_portal_test(test_portal_ws SOURCES ws.c http.c LIBS wslay PkgConfig::FZGW_PT_SSL)
fzgw_portal_test(test_portal_channel SOURCES channel.c egress.c)
fzgw_portal_test(test_portal_translate SOURCES translate.c grants.c values.c resdef.c
  LIBS fzgw_relaysvc)
