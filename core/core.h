/* SPDX-License-Identifier: Apache-2.0 */
/* The core object: loop, loaded modules, hook chains, bus and services, shared by the daemon and tests. */
#ifndef FZGW_CORE_H
#define FZGW_CORE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <fzgw/module.h>

#include "bus.h"
#include "chain.h"
#include "config.h"
#include "counters.h"
#include "gauges.h"
#include "log_limit.h"
#include "registry.h"

struct event_base;
struct fzgw_core;

/* One loaded module (or the core itself, or a probe during validation). */
struct fzgw_ctx {
	struct fzgw_core *core;
	char name[FZGW_NAME_MAX];
	char path[PATH_MAX];
	const struct fzgw_module *desc; /* NULL for the core's own ctx */
	void *dl;
	void *state;
	bool check_only;  /* init() must only validate */
	bool probe;       /* a validation run during reload: services are not published */
	bool live;        /* init() succeeded and fini() not yet called */
	bool has_priority;
	int priority;
	int n_hook_prio;          /* per-hook priority overrides from the config */
	struct fzgw_hook_prio hook_prio[FZGW_MAX_HOOKS];
	int order;
	const config_setting_t *entry_cs;    /* the config entry, for errors without settings (borrowed) */
	char *settings_text;                 /* digest of the settings, to tell whether they changed */
	char last_err[512];                  /* the module's last settings error (one line) */
	bool in_init;                        /* errors are kept for the caller, not logged */
	struct fzgw_counters counters;
	struct fzgw_gauges gauges;       /* api->gauge_register/gauge_set (ABI 2.1) */
	struct fzgw_readiness readiness; /* api->ready_set (ABI 2.1) */
	struct fzgw_timer *timers; /* list of this module's timers */
	struct fzgw_fd *fds;       /* list of this module's fds */
};

/* Where packets go after the last phase of a direction. */
typedef void (*fzgw_sink_fn)(struct fzgw_core *core, struct fzgw_packet *pkt);
typedef void (*fzgw_release_fn)(struct fzgw_core *core, struct fzgw_packet *pkt);
typedef int (*fzgw_icmp_fn)(struct fzgw_core *core, const struct fzgw_packet *pkt, int kind, uint32_t mtu);

struct fzgw_core {
	struct event_base *base;
	bool check_only;
	uint32_t mtu;
	struct fzgw_ctx self; /* "core" */
	struct fzgw_ctx *mods[FZGW_MAX_MODULES];
	int n_mods;
	struct fzgw_chains chains;
	struct fzgw_bus bus;
	struct fzgw_registry reg;
	struct fzgw_counters counters; /* the core's own drop reasons */
	/* data path plumbing (set by the daemon's data plane, or by tests) */
	fzgw_sink_fn sink[2];    /* [FZGW_DIR_IN] to the TUN, [FZGW_DIR_OUT] to the client */
	fzgw_release_fn release; /* returns a packet buffer to its pool */
	fzgw_icmp_fn icmp;       /* builds and sends an ICMP error to the packet's client */
	/* Is the client @pkt belongs to still there (by a generation, not by reading pkt->peer)?
	 * Stamps a packet a module built. NULL: not checked. */
	bool (*pkt_peer_ok)(struct fzgw_core *core, struct fzgw_packet *pkt);
	const struct fzgw_peer_info *(*peer_by_client)(struct fzgw_core *core, const char *id);
	struct fzgw_packet *(*alloc)(struct fzgw_core *core);
	int (*public_key)(struct fzgw_core *core, uint8_t out[32]);
	/* Queues the removal of a client (done after the current callback): 0 or -ENOENT.
	 * @why is borrowed. NULL: there are no clients (-ENOENT). */
	int (*peer_remove)(struct fzgw_core *core, const char *client_id, const char *why);
	uint32_t peer_index_max; /* every fzgw_peer_info.index is below it */
	/* UDP demultiplexing and client paths (api->udp_*, peer_set_path); NULL: no data plane */
	struct {
		struct fzgw_ctx *ctx; /* the claiming module; NULL: unclaimed (dropped, counted) */
		fzgw_udp_fn fn;
	} udp_claim[FZGW_UDP_CHANNELDATA + 1]; /* by enum fzgw_udp_class */
	int (*udp_send)(struct fzgw_core *core, const struct fzgw_endpoint *to, const uint8_t *data,
			size_t len);
	int (*udp_local)(struct fzgw_core *core, int family, struct fzgw_endpoint *out);
	int (*set_path)(struct fzgw_core *core, const char *client_id, const struct fzgw_path *path);
	void (*udp_input)(struct fzgw_core *core, const struct fzgw_path *via, const uint8_t *data,
			  size_t len);
	struct fzgw_log_limit log_limit; /* api->log_limited()'s call sites */
	void *dp;                /* the data plane's own state */
	void (*shutdown)(struct fzgw_core *core, int exit_code); /* set by the daemon */
	/* A module's readiness changed (api->ready_set); set by the daemon, may be NULL. */
	void (*ready_changed)(struct fzgw_core *core);
	void *daemon;
	/* clocks (fakeable) */
	uint64_t (*now_ms)(void);
	int64_t (*wall_s)(void);
};

extern const struct fzgw_api fzgw_core_api;

void fzgw_core_init(struct fzgw_core *core, struct event_base *base, bool check_only);
void fzgw_core_fini(struct fzgw_core *core);

/* Runs a packet through the phases of its direction from (phase, hook), then its sink.
 * Takes ownership of @pkt: it ends in a sink, is released as dropped, or is STOLEN. */
void fzgw_core_pipeline(struct fzgw_core *core, struct fzgw_packet *pkt, int phase, int hook);
/* Drops a packet: counts @reason for the core and releases the buffer. */
void fzgw_core_drop(struct fzgw_core *core, struct fzgw_packet *pkt, const char *reason);

/* Removes everything @ctx registered: hooks (by rebuilding chains later), subscriptions,
 * services, timers and fds. */
void fzgw_ctx_unregister_all(struct fzgw_ctx *ctx);

/* The default clocks. */
uint64_t fzgw_clock_now_ms(void);
int64_t fzgw_clock_wall_s(void);

#endif
