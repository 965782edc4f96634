# SPDX-License-Identifier: Apache-2.0
# The ratelimit example module (a third party's, built out of tree elsewhere), compiled here
# from its source and driven by the real core through modtest.
set(fzgw_ratelimit_dir ${PROJECT_SOURCE_DIR}/modules/examples/ratelimit)
fzgw_add_unit_test(test_ratelimit
  SOURCES test_ratelimit.c ${fzgw_ratelimit_dir}/ratelimit.c
  LIBS fzgw_modtest)
