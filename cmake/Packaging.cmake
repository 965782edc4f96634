# SPDX-License-Identifier: Apache-2.0
# The Debian packages, built with `cpack -G DEB` (scripts/package.sh configures, builds and
# runs it; docs/operations.md):
#   firezone-gateway      the daemon, the modules, /etc/firezone/gateway.conf (conffile), the
#                         unit, firezone-gateway-nft, sysusers.d and tmpfiles.d entries, docs
#   firezone-gateway-dev  the module header (include/fzgw) and the CMake package (fzgw)
# Components: "Unspecified" (the binary and the modules, the rules without a COMPONENT),
# "deb" (the files only the package has: EXCLUDE_FROM_ALL, so `cmake --install` skips them),
# "dev", and "sample" (conf/gateway.conf as gateway.conf.sample: source installs only).
# The package needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr: the module path
# compiled into the binary (core/CMakeLists.txt) is then the one the package installs into.

set(FZGW_DEB_MAINTAINER "firezone-gateway maintainers <maintainers@firezone-gateway.invalid>"
    CACHE STRING "Maintainer field of the Debian packages")
set(FZGW_DEB_RELEASE 1 CACHE STRING "Debian revision of the packages")
set(FZGW_DEB_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/firezone-gateway)
set(fzgw_pkg_dir ${PROJECT_BINARY_DIR}/packaging)
set(fzgw_pkg_src ${PROJECT_SOURCE_DIR}/packaging)
file(MAKE_DIRECTORY ${fzgw_pkg_dir})

# /etc/firezone/gateway.conf: conf/gateway.conf in portal mode with the relay module, as the
# original gateway's package runs. The sample's own comments say how to switch to standalone.
# Made here from the sample (one source for every comment); a sample whose module lines no
# longer match stops the configure instead of shipping a config that is not portal mode.
file(READ ${PROJECT_SOURCE_DIR}/conf/gateway.conf fzgw_conf)
foreach(m portal relay)
  set(off "{ name = \"${m}\"; enabled = false; }")
  string(FIND "${fzgw_conf}" "${off}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "cmake/Packaging.cmake: conf/gateway.conf has no line '${off}' to enable")
  endif()
  string(REPLACE "${off}" "{ name = \"${m}\"; }" fzgw_conf "${fzgw_conf}")
endforeach()
set(fzgw_conf_head
"# /etc/firezone/gateway.conf as installed by the firezone-gateway package: portal mode (the
# portal and relay modules on), as the original gateway. Put the token in
# /etc/firezone/gateway-token (mode 0600; the unit loads it as a credential), then
# `systemctl enable --now firezone-gateway`. Standalone mode: disable portal and relay, enable
# static below. Check the file with: FIREZONE_TOKEN=x firezone-gateway --check-config
#
")
file(WRITE ${fzgw_pkg_dir}/gateway.conf "${fzgw_conf_head}${fzgw_conf}")
file(WRITE ${fzgw_pkg_dir}/conffiles "/etc/firezone/gateway.conf\n")

# Debian's changelog and the man pages, compressed as Debian wants (gzip -9n: no name, no time).
# The date is SOURCE_DATE_EPOCH's (scripts/package.sh sets the last commit's) for a
# reproducible package.
string(TIMESTAMP fzgw_deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${fzgw_pkg_dir}/changelog.Debian
"firezone-gateway (${PROJECT_VERSION}-${FZGW_DEB_RELEASE}) unstable; urgency=medium

  * Release ${PROJECT_VERSION}, packaged with CPack (cmake/Packaging.cmake).

 -- ${FZGW_DEB_MAINTAINER}  ${fzgw_deb_date}
")
function(fzgw_gzip src dst)
  execute_process(COMMAND gzip -9nc INPUT_FILE ${src} OUTPUT_FILE ${dst} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${src}: ${rc}")
  endif()
endfunction()
fzgw_gzip(${fzgw_pkg_dir}/changelog.Debian ${fzgw_pkg_dir}/changelog.Debian.gz)
foreach(page firezone-gateway.8 firezone-gateway-nft.8)
  fzgw_gzip(${fzgw_pkg_src}/man/${page} ${fzgw_pkg_dir}/${page}.gz)
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/conf/gateway.conf
  ${fzgw_pkg_src}/man/firezone-gateway.8 ${fzgw_pkg_src}/man/firezone-gateway-nft.8)

# The files only the package installs. Absolute paths where Debian wants them outside /usr.
install(FILES ${fzgw_pkg_dir}/gateway.conf DESTINATION /etc/firezone
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES conf/firezone-gateway.service DESTINATION /lib/systemd/system
        COMPONENT deb EXCLUDE_FROM_ALL)
install(PROGRAMS scripts/gateway-nft.sh DESTINATION ${CMAKE_INSTALL_SBINDIR}
        RENAME firezone-gateway-nft COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES packaging/deb/firezone-gateway.sysusers DESTINATION lib/sysusers.d
        RENAME firezone-gateway.conf COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES packaging/deb/firezone-gateway.tmpfiles DESTINATION lib/tmpfiles.d
        RENAME firezone-gateway.conf COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${fzgw_pkg_dir}/firezone-gateway.8.gz ${fzgw_pkg_dir}/firezone-gateway-nft.8.gz
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES packaging/deb/copyright ${fzgw_pkg_dir}/changelog.Debian.gz README.md
        docs/operations.md docs/config.md docs/security.md docs/architecture.md
        DESTINATION ${FZGW_DEB_DOCDIR} COMPONENT deb EXCLUDE_FROM_ALL)
install(DIRECTORY docs/modules/ DESTINATION ${FZGW_DEB_DOCDIR}/modules
        COMPONENT deb EXCLUDE_FROM_ALL FILES_MATCHING PATTERN "*.md")
install(FILES packaging/deb/copyright ${fzgw_pkg_dir}/changelog.Debian.gz docs/modules.md
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/firezone-gateway-dev COMPONENT dev
        EXCLUDE_FROM_ALL)

set(CPACK_PACKAGE_NAME firezone-gateway)
set(CPACK_PACKAGE_VENDOR "firezone-gateway")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/PackagingCheck.cmake)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR})

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL Unspecified deb dev)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${FZGW_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FZGW_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_GATEWAY_PACKAGE_NAME firezone-gateway)
set(CPACK_DEBIAN_GATEWAY_PACKAGE_SECTION net)
set(CPACK_DEBIAN_GATEWAY_PACKAGE_SHLIBDEPS ON)
# beyond the shared libraries: the maintainer scripts' systemd-sysusers and systemd-tmpfiles,
# the unit's ExecStartPre (nft)
set(CPACK_DEBIAN_GATEWAY_PACKAGE_DEPENDS
    "systemd | systemd-standalone-sysusers, systemd | systemd-standalone-tmpfiles, nftables")
set(CPACK_DEBIAN_GATEWAY_PACKAGE_CONTROL_EXTRA ${fzgw_pkg_src}/deb/postinst
    ${fzgw_pkg_src}/deb/prerm ${fzgw_pkg_src}/deb/postrm ${fzgw_pkg_dir}/conffiles)
# the first line is the synopsis; CPack indents the rest, an empty line becomes " ."
set(CPACK_DEBIAN_GATEWAY_DESCRIPTION
"Firezone-compatible zero-trust access gateway
firezone-gateway accepts WireGuard tunnels from authorized clients, checks
every packet against the resources each client was granted and forwards
allowed traffic to the site's network through a TUN device.

It speaks the Firezone portal's gateway protocol (portal mode, with TURN
relays and ICE) or takes its clients and resources from its config file
(standalone mode). A small core loads shared-object modules (filter, NAT,
DNS resources, relay, portal) through a stable, versioned ABI.

The package ships a hardened systemd unit (not enabled), the nftables host
set-up firezone-gateway-nft and a portal-mode /etc/firezone/gateway.conf.")

set(CPACK_DEBIAN_DEVEL_PACKAGE_NAME firezone-gateway-dev)
set(CPACK_DEBIAN_DEVEL_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_DEVEL_PACKAGE_DEPENDS "")
set(CPACK_DEBIAN_DEVEL_PACKAGE_RECOMMENDS "firezone-gateway")
set(CPACK_DEBIAN_DEVEL_DESCRIPTION
"firezone-gateway module development files
The public module ABI of firezone-gateway (include/fzgw/module.h, ip.h) and
its CMake package: find_package(fzgw CONFIG) and fzgw_add_module() build a
third-party filter or control-plane module against the installed header
alone. See /usr/share/doc/firezone-gateway-dev/modules.md.")

include(CPack)
cpack_add_component_group(gateway)
cpack_add_component_group(devel)
cpack_add_component(Unspecified GROUP gateway)
cpack_add_component(deb GROUP gateway)
cpack_add_component(dev GROUP devel)
