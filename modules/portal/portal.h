/* SPDX-License-Identifier: Apache-2.0 */
/* The portal module's state, shared by its settings, its session and its descriptor. */
#ifndef FZGW_PORTAL_PORTAL_H
#define FZGW_PORTAL_PORTAL_H

#include <limits.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include <fzgw/module.h>

#include "backoff.h"
#include "channel.h"
#include "identity.h"
#include "translate.h"
#include "url.h"

struct pz_conn;
struct event_base;
struct evdns_base;

/* The settings group, after the environment overrides. */
struct pz_conf {
	char api_url[1024];
	char ca_file[PATH_MAX];
	char id[PZ_ID_MAX];
	char name[256];
	char id_file[PATH_MAX];
	char machine_id_file[PATH_MAX];
	char max_partition_time[32];
	char heartbeat_interval[32];
	char advertised_version[32];
	bool allow_insecure; /* ws:// and http:// accepted (tests only): the token goes in clear */
	/* derived */
	struct pz_url url;
	uint64_t partition_ms;
	uint64_t heartbeat_ms;
};

struct portal {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	struct pz_conf conf;
	char *token;                  /* sodium_malloc()ed */
	char external_id[PZ_ID_MAX];
	char name[256];
	char user_agent[512];
	char public_key[48];          /* base64 */
	struct event_base *base;
	struct evdns_base *dns;
	SSL_CTX *tls;
	struct pz_conn *conn;
	struct pz_chan chan;
	struct pz_xlate xlate;
	struct pz_backoff backoff;
	bool backoff_armed;
	bool joined_once;             /* after the first join, reconnects back off exponentially */
	bool stopped;                 /* a fatal error: no more connections */
	struct fzgw_timer *t_connect, *t_join, *t_heartbeat, *t_lost;
	char lost_why[256];           /* for t_lost: a failure noticed inside a callback */
	uint32_t attempt;             /* since the last join */
	uint64_t down_since_ms;       /* when the last connection was lost (0: never joined) */
	uint64_t joins;
	int cnt_rejected, cnt_reconnects, cnt_dropped, cnt_candidates_skipped;
	bool init_applied;            /* an init was applied since the last join (readiness) */
	int g_connected;              /* gauge "connected" (ABI 2.1), -1: none */
};

/* conf.c: the settings group (defaults, then the file, then the environment). 0 or -EINVAL
 * after one settings_error() line. */
int pz_conf_parse(struct fzgw_ctx *ctx, const struct fzgw_api *api, const struct fzgw_settings *s,
		  struct pz_conf *out);

/* session.c */
void pz_session_init(struct portal *p);    /* the channel (its queue lives across connections) */
/* From p->conf: token, identity, TLS context, resolver. 0 or -errno (logged); on error
 * pz_session_release() frees what was made. */
int pz_session_setup(struct portal *p);
void pz_session_release(struct portal *p); /* what setup made */
void pz_session_stop(struct portal *p);    /* the connection and the channel's queue */
void pz_session_connect(struct portal *p); /* a new attempt now */
/* Drops the connection and its timers, schedules nothing (the caller connects). */
void pz_session_reset(struct portal *p);
/* Drops the connection (if any) and schedules the next attempt as the policy says. */
void pz_session_lost(struct portal *p, const char *why, int http_status, int64_t retry_after);
/* Sends (or queues) one event to the portal. */
void pz_session_push(struct portal *p, const char *event, const char *payload);

/* health.c: the gateway's readiness and the "connected" gauge (ABI 2.1; nothing on a 2.0
 * core). Not ready until an init was applied after a join; not ready again once the
 * connection is lost. */
void pz_health_init(struct portal *p);
void pz_health_joined(struct portal *p);
void pz_health_init_applied(struct portal *p);
void pz_health_down(struct portal *p, const char *status);

#endif
