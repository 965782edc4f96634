# SPDX-License-Identifier: Apache-2.0
# fzgw_gen: the load generator bench/run.sh drives (bench/README.md, "The load generator").
include(${PROJECT_SOURCE_DIR}/bench/gen/target.cmake)
