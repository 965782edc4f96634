/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's life: start from a config, run the loop, reload on SIGHUP, stop cleanly. */
#ifndef FZGW_DAEMON_H
#define FZGW_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "core.h"

#define FZGW_EXIT_OK 0
#define FZGW_EXIT_FATAL 1
#define FZGW_EXIT_USAGE 64
#define FZGW_EXIT_CONFIG 78

struct fzgw_dataplane;
struct fzgw_obs;
struct fzgw_ctl_server;

struct fzgw_daemon {
	struct fzgw_core core;
	struct fzgw_config *cfg;
	struct fzgw_overrides ov;
	char config_path[PATH_MAX];
	bool check_only;
	int exit_code;
	struct event *sig[5];
	struct fzgw_dataplane *dp;
	struct fzgw_obs *obs; /* systemd notifications, health and metrics server (obs.c) */
	struct fzgw_ctl_server *ctl; /* the control socket (status, capture); NULL: off */
};

/* Loads the config and the modules. 0, or -errno with one line in @err (exit 78). */
int fzgw_daemon_start(struct fzgw_daemon *d, const char *config_path, const struct fzgw_overrides *ov,
		      bool check_only, char *err, size_t errlen) __attribute__((warn_unused_result));
/* Opens the TUN, the UDP sockets and the WireGuard device. 0 or -errno (exit 1). */
int fzgw_daemon_open_dataplane(struct fzgw_daemon *d, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* --check-config's report: site, modules, chains. */
void fzgw_daemon_print(const struct fzgw_daemon *d, FILE *f);
/* Runs until SIGTERM/SIGINT or a fatal error; returns the exit code. */
int fzgw_daemon_run(struct fzgw_daemon *d);
/* Re-reads the config; on any error the running one stays. 0 or -errno with @err. */
int fzgw_daemon_reload(struct fzgw_daemon *d, char *err, size_t errlen);
/* Unloads the modules (reverse order), frees everything. */
void fzgw_daemon_stop(struct fzgw_daemon *d);
/* Ends the loop with @code (used by modules' fatal errors through the core). */
void fzgw_daemon_exit(struct fzgw_daemon *d, int code);
void fzgw_daemon_dump_stats(struct fzgw_daemon *d);

#endif
