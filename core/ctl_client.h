/* SPDX-License-Identifier: Apache-2.0 */
/* The client side of the control socket: `firezone-gateway status` and `capture`. */
#ifndef FZGW_CTL_CLIENT_H
#define FZGW_CTL_CLIENT_H

#include <stdbool.h>

/* Is @arg a subcommand main() hands over (status, capture)? */
bool fzgw_ctl_is_command(const char *arg);
/* Runs a subcommand; @argv[0] is its name. Returns the exit code. */
int fzgw_ctl_main(int argc, char **argv);

#endif
