/* SPDX-License-Identifier: Apache-2.0 */
/* Portal -> gateway messages: the Phoenix envelope and each event, parsed and validated. */
#ifndef FZGW_PORTAL_MSG_H
#define FZGW_PORTAL_MSG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

#include "jfield.h"
#include "values.h"

/* Caps on what one message may make us hold. Lists the portal sizes by its own data
 * (authorizations, filters, port ranges) have none: the message size bounds them. */
#define PZ_MAX_FRAME (64u << 20) /* bytes of one WebSocket message, as the original */
#define PZ_MAX_DEPTH 32          /* nesting of arrays and objects */
#define PZ_MAX_RELAYS 64
#define PZ_MAX_CANDIDATES 64
#define PZ_MAX_CANDIDATE_LEN 512
#define PZ_MAX_REF_LEN 8192      /* the signed authorization reference */
#define PZ_NAME_MAX 256          /* short free-form strings: names, ICE credentials, TURN users */

enum pz_event {
	PZ_EV_UNKNOWN = 0,
	PZ_EV_INIT,
	PZ_EV_CREATE_AUTHORIZATION,
	PZ_EV_AUTHORIZE_FLOW, /* the v1 name of create_authorization */
	PZ_EV_ICE_CANDIDATES,
	PZ_EV_INVALIDATE_ICE_CANDIDATES,
	PZ_EV_REJECT_ACCESS,
	PZ_EV_RELAYS_PRESENCE,
	PZ_EV_RESOURCE_UPDATED,
	PZ_EV_EXPIRY_UPDATED, /* access_authorization_expiry_updated: obsolete, parsed only */
	PZ_EV_CONFIGURE_METRICS,
	PZ_EV_DISCONNECT,
	PZ_EV_REPLY,
	PZ_EV_PHX_ERROR,
	PZ_EV_PHX_CLOSE,
	PZ_EV_COUNT
};

/* A reply's ref: Phoenix echoes ours (a number) but may send it as a string. */
struct pz_ref {
	bool present; /* not null and not missing */
	bool numeric; /* a number, or a string of decimal digits: then @n holds it */
	uint64_t n;
};

struct pz_relay {
	char id[PZ_UUID_SIZE];
	bool turn; /* false: a STUN entry (id and addr only) */
	char addr[64];
	char username[PZ_NAME_MAX];
	char password[PZ_NAME_MAX];
	int64_t expires_at;
};

struct pz_auth {
	char client_id[PZ_UUID_SIZE];
	char resource_id[PZ_UUID_SIZE];
	int64_t expires_at;
};

struct pz_ice_creds {
	char username[257]; /* as in struct fzgw_ev_authorization */
	char password[257];
};

struct pz_init {
	struct fzgw_addr ipv4, ipv6;
	bool has_slug;
	char account_slug[PZ_NAME_MAX];
	size_t n_relays;
	struct pz_relay *relays;
	size_t n_auths;
	struct pz_auth *auths;
};

struct pz_create {
	char *ref; /* the signed reference, echoed in the reply */
	char client_id[PZ_UUID_SIZE];
	uint8_t public_key[32];
	uint8_t preshared_key[32];
	struct fzgw_addr ipv4, ipv6;
	struct fzgw_resource *resource; /* owned (one block, see resdef.h) */
	struct pz_ice_creds gateway_ice, client_ice;
	int64_t expires_at; /* 0: none given */
	bool use_iceless;
};

struct pz_ice {
	char client_id[PZ_UUID_SIZE];
	size_t n;
	char **candidates;
	size_t skipped; /* entries that were not candidate strings */
};

struct pz_presence {
	size_t n_relays;
	struct pz_relay *relays;
	size_t n_gone;
	char (*gone)[PZ_UUID_SIZE];
};

struct pz_reply {
	bool ok;
	bool empty; /* status ok with response {}: how a join is confirmed */
	char reason[64]; /* status error: response.reason ("" when it was not a string) */
};

/* One message from the portal. Clear it with pz_msg_clear(). */
struct pz_msg {
	enum pz_event event;
	char topic[64];
	char name[64]; /* the event as received, for logs */
	struct pz_ref ref;
	union {
		struct pz_init init;
		struct pz_create create;
		struct pz_ice ice;
		struct pz_auth reject; /* expires_at unused */
		struct pz_presence presence;
		struct fzgw_resource *resource; /* owned */
		struct pz_auth expiry;
		struct pz_reply reply;
		char disconnect_reason[64];
	} u;
};

/*
 * Parses one text frame. 0: @out holds the message (event PZ_EV_UNKNOWN for events we do
 * not handle). -EINVAL: not valid JSON or a field breaks the original's rules (@e names
 * it); -E2BIG: nested deeper than PZ_MAX_DEPTH or over a cap; -ENOMEM. On error @out holds
 * nothing to free but the event's name (when it got that far).
 */
int pz_msg_parse(const char *text, size_t len, struct pz_msg *out, struct pz_err *e);
/* Wipes (keys are in it) and frees what a parsed message holds. */
void pz_msg_clear(struct pz_msg *m);
const char *pz_event_name(enum pz_event ev);

/* resource.c: a resource description (tagged by "type") at @obj, into a malloc()ed copy
 * (resdef.h) at @out; NULL on error. */
int pz_resource_parse(json_t *obj, const char *path, struct fzgw_resource **out,
		      struct pz_err *e);
/* Depth of the deepest array/object in raw JSON text, counted without parsing it. */
unsigned pz_json_depth(const char *text, size_t len);

#endif
