/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes what the portal controls in a message: one text frame through the Phoenix envelope
 * and every event's validation. Whatever is accepted must keep the parser's promises
 * (canonical ids, sorted and merged port ranges, printable candidates, normalised addresses),
 * and then goes through the translation into bus events (a fresh table per input, a core that
 * only counts) and, for candidates, the payload builder, whose output must be JSON again.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../modules/portal/channel.h"
#include "../modules/portal/egress.h"
#include "../modules/portal/msg.h"
#include "../modules/portal/translate.h"
#include "fuzz.h"

static size_t published;

static void quiet(struct fzgw_ctx *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static int count(struct fzgw_ctx *ctx, uint32_t type, const void *d, size_t size)
{
	(void)ctx;
	CHECK(type > FZGW_EV_NONE && type < FZGW_EV_TYPE_COUNT && d && size);
	published++;
	return 0;
}

static const struct fzgw_api api = { .log = quiet, .publish = count };

static void check_uuid(const char *id)
{
	char again[PZ_UUID_SIZE];

	CHECK(strlen(id) == PZ_UUID_LEN);
	CHECK(pz_uuid_parse(id, again) == 0 && !strcmp(id, again));
}

static void check_resource(const struct fzgw_resource *r)
{
	CHECK(r->type >= FZGW_RES_CIDR && r->type <= FZGW_RES_INTERNET);
	check_uuid(r->id);
	CHECK(r->n_filters <= 3 && !r->n_filters == !r->filters);
	for (unsigned i = 0; i < r->n_filters; i++) {
		const struct fzgw_filter *f = &r->filters[i];

		CHECK(f->proto >= FZGW_FILTER_TCP && f->proto <= FZGW_FILTER_ICMP);
		CHECK(!f->n_ranges == !f->ranges);
		CHECK(f->proto != FZGW_FILTER_ICMP || !f->n_ranges);
		for (unsigned k = 0; k < f->n_ranges; k++) {
			CHECK(f->ranges[k].first <= f->ranges[k].last);
			/* merged: sorted with gaps between them */
			CHECK(!k || f->ranges[k].first > f->ranges[k - 1].last + 1u);
		}
	}
	if (r->type == FZGW_RES_CIDR)
		CHECK(r->prefix_len <= (r->addr.family == 4 ? 32 : 128));
	if (r->type == FZGW_RES_DNS) {
		char again[4096];

		/* parsing the stored pattern again gives it back: lowercase, one form */
		CHECK(r->pattern && r->pattern[0] && strlen(r->pattern) < sizeof(again));
		CHECK(pz_dns_pattern_parse(r->pattern, again, sizeof(again)) == 0 &&
		      !strcmp(again, r->pattern));
	} else {
		CHECK(!r->pattern);
	}
}

static void check_relays(const struct pz_relay *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char again[64];

		check_uuid(r[i].id);
		CHECK(pz_sockaddr_parse(r[i].addr, again, sizeof(again)) == 0 &&
		      !strcmp(again, r[i].addr));
	}
}

static void check_candidates(const struct pz_ice *ice)
{
	const char *id = ice->client_id;
	char *payload;
	json_t *j;

	check_uuid(ice->client_id);
	CHECK(ice->n <= PZ_MAX_CANDIDATES);
	for (size_t i = 0; i < ice->n; i++)
		CHECK(strlen(ice->candidates[i]) >= 1 &&
		      strlen(ice->candidates[i]) <= PZ_MAX_CANDIDATE_LEN);
	payload = pz_payload_candidates(&id, 1, (const char *const *)ice->candidates, ice->n);
	CHECK(payload);
	CHECK((j = json_loads(payload, 0, NULL)));
	CHECK(json_array_size(json_object_get(j, "candidates")) <= ice->n);
	json_decref(j);
	free(payload);
}

static void translate(const struct pz_msg *m)
{
	struct pz_xlate x;

	if (pz_xlate_init(&x, NULL, &api) < 0)
		return;
	switch (m->event) {
	case PZ_EV_INIT:
		pz_xlate_init_msg(&x, &m->u.init);
		pz_xlate_init_msg(&x, &m->u.init);
		break;
	case PZ_EV_CREATE_AUTHORIZATION:
	case PZ_EV_AUTHORIZE_FLOW:
		CHECK(pz_xlate_create(&x, &m->u.create) == 0);
		CHECK(x.grants.n_clients == 1);
		CHECK(pz_xlate_resource(&x, m->u.create.resource) == 0);
		pz_xlate_reject(&x, m->u.create.client_id, m->u.create.resource->id);
		CHECK(x.grants.n_clients == 0);
		break;
	case PZ_EV_ICE_CANDIDATES:
	case PZ_EV_INVALIDATE_ICE_CANDIDATES:
		pz_xlate_ice(&x, &m->u.ice, m->event == PZ_EV_INVALIDATE_ICE_CANDIDATES);
		break;
	case PZ_EV_REJECT_ACCESS:
		pz_xlate_reject(&x, m->u.reject.client_id, m->u.reject.resource_id);
		break;
	case PZ_EV_RELAYS_PRESENCE:
		pz_xlate_presence(&x, &m->u.presence);
		break;
	case PZ_EV_RESOURCE_UPDATED:
		CHECK(pz_xlate_resource(&x, m->u.resource) == 0); /* no grant names it */
		break;
	default:
		break;
	}
	pz_xlate_fini(&x, true);
}

static int no_send(void *user, const char *text, size_t len)
{
	(void)user;
	CHECK(len == strlen(text));
	return 0;
}

static const struct pz_chan_ops chan_ops = { no_send };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pz_err e = { .why = NULL };
	struct pz_chan ch;
	struct pz_msg m;
	int rc = pz_msg_parse((const char *)data, size, &m, &e);

	if (rc < 0) {
		CHECK(rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
		CHECK(e.why != NULL);
		return 0;
	}
	switch (m.event) {
	case PZ_EV_INIT:
		CHECK(m.u.init.ipv4.family == 4 && m.u.init.ipv6.family == 6);
		check_relays(m.u.init.relays, m.u.init.n_relays);
		for (size_t i = 0; i < m.u.init.n_auths; i++) {
			check_uuid(m.u.init.auths[i].client_id);
			check_uuid(m.u.init.auths[i].resource_id);
			CHECK(m.u.init.auths[i].expires_at >= 0);
		}
		break;
	case PZ_EV_CREATE_AUTHORIZATION:
	case PZ_EV_AUTHORIZE_FLOW:
		CHECK(m.u.create.ref && strlen(m.u.create.ref) <= PZ_MAX_REF_LEN);
		check_uuid(m.u.create.client_id);
		CHECK(m.u.create.ipv4.family == 4 && m.u.create.ipv6.family == 6);
		CHECK(m.u.create.expires_at >= 0);
		check_resource(m.u.create.resource);
		break;
	case PZ_EV_ICE_CANDIDATES:
	case PZ_EV_INVALIDATE_ICE_CANDIDATES:
		check_candidates(&m.u.ice);
		break;
	case PZ_EV_RELAYS_PRESENCE:
		check_relays(m.u.presence.relays, m.u.presence.n_relays);
		for (size_t i = 0; i < m.u.presence.n_gone; i++)
			check_uuid(m.u.presence.gone[i]);
		break;
	case PZ_EV_RESOURCE_UPDATED:
		check_resource(m.u.resource);
		break;
	case PZ_EV_REPLY:
		/* the channel's view of it, as if the join (ref 0) and one heartbeat were out */
		pz_chan_init(&ch, &chan_ops, NULL);
		pz_chan_open(&ch);
		pz_chan_heartbeat(&ch);
		pz_chan_reply(&ch, &m);
		pz_chan_fini(&ch);
		break;
	default:
		break;
	}
	translate(&m);
	pz_msg_clear(&m);
	return 0;
}
