# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of core/net: a rule message of an rtnetlink dump (policy routing).
fzgw_add_fuzz(fuzz_net_rule SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_net_rule.c LIBS fzgw_net)
