/* SPDX-License-Identifier: Apache-2.0 */
/* Test harness for modules: the real core without a data plane, settings from text, packets by hand. */
#ifndef FZGW_MODTEST_H
#define FZGW_MODTEST_H

#include <libconfig.h>
#include <stdbool.h>
#include <stdint.h>

#include <fzgw/module.h>

#include "core.h"

#define MODTEST_MAX_EVENTS 512
#define MODTEST_MAX_ICMP 256

/* A copy of one event seen on the bus. A resource's borrowed lists (pattern, filters,
 * ranges) are deep-copied: they stay readable after the publisher freed its own. */
struct modtest_event {
	uint32_t type;
	char source[32];
	void *owned; /* the copied lists (freed by modtest_clear and modtest_free) */
	union {
		struct fzgw_ev_iface iface;
		struct fzgw_ev_authorization auth;
		struct fzgw_ev_revoke revoke;
		struct fzgw_ev_resource res;
		struct fzgw_ev_peer peer;
	} u;
};

/* One api->peer_remove() call seen by the core. */
struct modtest_removal {
	char client_id[40];
	char why[64];
};

#define MODTEST_MAX_REMOVALS 64

struct modtest_icmp {
	int kind;
	struct fzgw_addr src, dst; /* of the packet answered */
};

struct modtest {
	struct fzgw_core core;
	struct event_base *base;
	struct fzgw_ctx ctx;      /* the module under test */
	struct fzgw_ctx recorder; /* subscribed to every event type */
	config_t cfg;
	bool cfg_live;
	char file[64];            /* the settings file, for FILE:LINE checks */
	int n_events;
	struct modtest_event events[MODTEST_MAX_EVENTS];
	int n_icmp;
	struct modtest_icmp icmp[MODTEST_MAX_ICMP];
	int n_removals;           /* api->peer_remove() calls (the core's pointer recorded) */
	struct modtest_removal removals[MODTEST_MAX_REMOVALS];
	int peer_remove_rc;       /* what those calls return (0 by default) */
};

/* Fake clocks read by the core (fzgw_core.now_ms / wall_s). */
extern uint64_t modtest_now_ms;
extern int64_t modtest_wall_s;

/* A core with an event loop, fake clocks, an ICMP recorder and an event recorder. */
struct modtest *modtest_new(const char *module_name, const struct fzgw_module *desc);
/* Unloads the module if live, frees everything. */
void modtest_free(struct modtest *t);

/* Writes "settings = <text>;" to a file and returns its "settings" group, or NULL after a
 * syntax error (printed). The previous file and config are released. */
const struct fzgw_settings *modtest_settings(struct modtest *t, const char *text);
/* Runs the module's init() as the loader does (errors land in t->ctx.last_err). */
int modtest_init(struct modtest *t, const struct fzgw_settings *s, bool check_only);
void modtest_unload(struct modtest *t);
/* Runs whatever is due on the loop (0 ms timers), without blocking. */
void modtest_run(struct modtest *t);
/* Publishes as if from another module. */
int modtest_publish(struct modtest *t, uint32_t type, const void *data, size_t size);
/* Forgets the recorded events, ICMP errors and peer removals. */
void modtest_clear(struct modtest *t);
int modtest_count(const struct modtest *t, uint32_t type);

struct fzgw_addr modtest_addr(const char *text);

/* A hand-built packet and its parsed view. */
struct modtest_pkt {
	uint8_t buf[FZGW_IP_MAX_SIZE];
	struct fzgw_packet pkt;
	struct fzgw_peer_info peer;
};

enum { MT_TCP = 6, MT_UDP = 17, MT_ICMP = 1, MT_ICMP6 = 58, MT_GRE = 47 };

/*
 * Builds src -> dst with @proto: TCP/UDP with the ports, ICMP(v6) echo request (ports
 * ignored), anything else with 8 zero bytes. The peer is @client_id with @src (IN) or @dst
 * (OUT) as its address. Asserts that the core's parser accepts it.
 */
struct fzgw_packet *modtest_pkt(struct modtest_pkt *mp, int dir, const char *client_id,
				const char *src, const char *dst, int proto, uint16_t sport,
				uint16_t dport);
/* An ICMP(v6) destination-unreachable from @src to @dst quoting a UDP packet @dst -> @quoted. */
struct fzgw_packet *modtest_icmp_error(struct modtest_pkt *mp, int dir, const char *client_id,
				       const char *src, const char *dst, const char *quoted);
/* The same quoting @proto @qsrc:@sport -> @qdst:@dport (8 L4 bytes; ICMP: echo id @sport). */
struct fzgw_packet *modtest_icmp_error_q(struct modtest_pkt *mp, int dir, const char *client_id,
					 const char *src, const char *dst, const char *qsrc,
					 const char *qdst, int proto, uint16_t sport, uint16_t dport);

/* The module's hook for @phase, or NULL. */
fzgw_hook_fn modtest_hook(const struct fzgw_module *desc, int phase);

/* Runs @fn(t) with stderr (the core's log) going to a file; returns what was written
 * (up to 64 KiB, NUL-terminated; the caller frees it). */
char *modtest_capture_log(void (*fn)(struct modtest *t), struct modtest *t);

#endif
