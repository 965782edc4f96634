# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the portal module: a message from the portal through parsing, validation and
# translation; a server's byte stream through the upgrade parser and the WebSocket framing.
pkg_check_modules(FZGW_FZ_SSL REQUIRED IMPORTED_TARGET openssl)
find_package(wslay CONFIG REQUIRED)
set(fzgw_portal_dir ${PROJECT_SOURCE_DIR}/modules/portal)
fzgw_add_fuzz(fuzz_portal_message
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_portal_message.c ${fzgw_portal_dir}/msg.c
          ${fzgw_portal_dir}/resource.c ${fzgw_portal_dir}/jfield.c ${fzgw_portal_dir}/values.c
          ${fzgw_portal_dir}/translate.c ${fzgw_portal_dir}/grants.c ${fzgw_portal_dir}/egress.c
          ${fzgw_portal_dir}/channel.c ${fzgw_portal_dir}/resdef.c
  LIBS fzgw_headers fzgw_relaysvc PkgConfig::JANSSON PkgConfig::SODIUM)
fzgw_add_fuzz(fuzz_websocket
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_websocket.c ${fzgw_portal_dir}/ws.c
          ${fzgw_portal_dir}/http.c ${fzgw_portal_dir}/msg.c ${fzgw_portal_dir}/resource.c
          ${fzgw_portal_dir}/jfield.c ${fzgw_portal_dir}/values.c ${fzgw_portal_dir}/resdef.c
  LIBS fzgw_headers wslay PkgConfig::FZGW_FZ_SSL PkgConfig::JANSSON PkgConfig::SODIUM)
