# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the core: the config file.
fzgw_add_fuzz(fuzz_config SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_config.c LIBS fzgw_core)
