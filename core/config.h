/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway config file: the core's section and the module list, validated. */
#ifndef FZGW_CONFIG_H
#define FZGW_CONFIG_H

#include <libconfig.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <fzgw/module.h>

#define FZGW_NAME_MAX 64
#define FZGW_MAX_MODULES 32
#define FZGW_MAX_SITES 16

#define FZGW_HOOK_NAME_MAX 64
#define FZGW_CONTROL_SOCKET_DEFAULT "/run/firezone-gateway/control.sock"
/* The original's FIREZONE_TABLE_USER: where its gateway puts the tunnel routes. */
#define FZGW_ROUTING_TABLE_DEFAULT 0x2021fd00u

/* One per-hook priority override: modules = ( { ...; hooks = { <hook> = <priority>; }; } ). */
struct fzgw_hook_prio {
	char name[FZGW_HOOK_NAME_MAX];
	int priority;
	const config_setting_t *cs; /* for FILE:LINE errors; owned by the config */
};

struct fzgw_mod_entry {
	char name[FZGW_NAME_MAX];
	char path[PATH_MAX];
	bool active;       /* enabled and listed for the active site */
	bool has_priority;
	int priority;
	int n_hook_prio;   /* per-hook overrides; they win over priority */
	struct fzgw_hook_prio hook_prio[FZGW_MAX_HOOKS];
	int order;         /* position in the config file */
	const config_setting_t *entry;    /* for FILE:LINE errors; owned by the config */
	const config_setting_t *settings; /* may be NULL; owned by the config */
};

struct fzgw_config {
	config_t cfg;
	bool cfg_live;
	char file[PATH_MAX];
	char site[FZGW_NAME_MAX];
	char module_path[PATH_MAX];
	char tun_name[16];
	int mtu;
	bool tun_offload; /* vnet header, TSO/USO and coalescing on the TUN */
	bool udp_offload; /* UDP_SEGMENT and UDP_GRO on the WireGuard sockets */
	int workers;      /* data-plane threads, the loop counted (default 1); 0 = one per online CPU (max 8) */
	uint32_t handshake_load_threshold; /* valid handshake messages a second before cookies */
	int listen_port;
	uint32_t routing_table; /* gateway.routing_table: the TUN routes' table, 0 = main */
	char private_key_file[PATH_MAX];
	char control_socket[108]; /* the status/capture socket (sun_path); "" = none */
	char log_filter[320];
	int log_format;
	char health_check_addr[64]; /* gateway.health_check_addr, HEALTH_CHECK_ADDR, flag; "off" */
	bool health_check_explicit; /* set by the operator (a bind failure is fatal then) */
	int n_modules;
	struct fzgw_mod_entry modules[FZGW_MAX_MODULES];
};

/* Values from the environment and the command line; NULL = not given. Flags win over
 * the environment, which wins over the file: main() merges them in that order. */
struct fzgw_overrides {
	const char *site;
	const char *module_path;
	const char *log_filter;
	const char *log_format;
	const char *health_check_addr; /* --health-check-addr, else HEALTH_CHECK_ADDR */
};

/* Reads and validates @path. On error, one line "FILE:LINE: what (key "x")" in @err. */
int fzgw_config_load(struct fzgw_config *c, const char *path, const struct fzgw_overrides *ov,
		     char *err, size_t errlen) __attribute__((warn_unused_result));
void fzgw_config_free(struct fzgw_config *c);
/* Overwrites the secrets of the modules' settings in the tree (after the modules took their
 * copies: at the end of a start or a reload; fzgw_config_free() does it too). */
void fzgw_config_wipe_secrets(struct fzgw_config *c);
/* The default gateway.module_path: the installed binary's own module directory when it
 * exists (found from /proc/self/exe), else the configure-time one. */
void fzgw_config_default_module_path(char *out, size_t len);

#endif
