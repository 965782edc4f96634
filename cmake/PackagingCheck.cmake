# SPDX-License-Identifier: Apache-2.0
# Read by cpack (CPACK_PROJECT_CONFIG_FILE): a Debian package is made only from a build
# configured for /usr, where the binary looks for its modules and Debian wants its files.
if(NOT CPACK_PACKAGING_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "the Debian package needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr "
          "(this one: ${CPACK_PACKAGING_INSTALL_PREFIX}); scripts/package.sh does it")
endif()
