/* SPDX-License-Identifier: Apache-2.0 */
/* Reading and validating the static settings group: gateway addresses, resources, peers. */
#include <errno.h>
#include <stdarg.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "static.h"

#define ADDR_MAX 64
#define KEY_B64_MAX 64

struct top_in {
	char ipv4[ADDR_MAX], ipv6[ADDR_MAX];
};

static const struct fzgw_key top_keys[] = {
	{ "ipv4", FZGW_KEY_STRING, false, offsetof(struct top_in, ipv4), ADDR_MAX, 0, 0 },
	{ "ipv6", FZGW_KEY_STRING, false, offsetof(struct top_in, ipv6), ADDR_MAX, 0, 0 },
	{ "resources", FZGW_KEY_LIST, false, 0, 0, 0, 0 },
	{ "peers", FZGW_KEY_LIST, false, 0, 0, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

struct res_in {
	char id[STATIC_ID_MAX], type[16], address[256];
};

static const struct fzgw_key res_keys[] = {
	{ "id", FZGW_KEY_STRING, true, offsetof(struct res_in, id), STATIC_ID_MAX, 0, 0 },
	{ "type", FZGW_KEY_STRING, true, offsetof(struct res_in, type), 16, 0, 0 },
	{ "address", FZGW_KEY_STRING, false, offsetof(struct res_in, address), 256, 0, 0 },
	{ "filters", FZGW_KEY_LIST, false, 0, 0, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

struct filter_in {
	char protocol[16], ports[4096];
};

static const struct fzgw_key filter_keys[] = {
	{ "protocol", FZGW_KEY_STRING, true, offsetof(struct filter_in, protocol), 16, 0, 0 },
	{ "ports", FZGW_KEY_STRING, false, offsetof(struct filter_in, ports), 4096, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

/* The same with ports as a list: [22, 443, "8000-8999"]. */
static const struct fzgw_key filter_list_keys[] = {
	{ "protocol", FZGW_KEY_STRING, true, offsetof(struct filter_in, protocol), 16, 0, 0 },
	{ "ports", FZGW_KEY_LIST, false, 0, 0, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

/* Holds key text: wiped after use. */
struct peer_in {
	char id[STATIC_ID_MAX];
	char public_key[KEY_B64_MAX], preshared_key[KEY_B64_MAX];
	char ipv4[ADDR_MAX], ipv6[ADDR_MAX];
	int64_t expires_at;
};

static const struct fzgw_key peer_keys[] = {
	{ "id", FZGW_KEY_STRING, true, offsetof(struct peer_in, id), STATIC_ID_MAX, 0, 0 },
	{ "public_key", FZGW_KEY_STRING, true, offsetof(struct peer_in, public_key), KEY_B64_MAX,
	  0, 0 },
	{ "preshared_key", FZGW_KEY_STRING, false, offsetof(struct peer_in, preshared_key),
	  KEY_B64_MAX, 0, 0 },
	{ "ipv4", FZGW_KEY_STRING, false, offsetof(struct peer_in, ipv4), ADDR_MAX, 0, 0 },
	{ "ipv6", FZGW_KEY_STRING, false, offsetof(struct peer_in, ipv6), ADDR_MAX, 0, 0 },
	{ "resources", FZGW_KEY_LIST, true, 0, 0, 0, 0 },
	/* up to the end of year 9999: anything later is a typo */
	{ "expires_at", FZGW_KEY_INT, false, offsetof(struct peer_in, expires_at), 0, 0,
	  253402300799LL },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

/* What every helper needs to report an error. */
struct parse {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	struct static_conf *c;
};

/* One error line about @at: FILE:LINE, the message, the key. Returns -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
bad(const struct parse *p, const struct fzgw_settings *at, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return p->api->settings_error(p->ctx, at, "%s", msg);
}

static const struct fzgw_settings *member(const struct parse *p, const struct fzgw_settings *g,
					  const char *name)
{
	const struct fzgw_settings *m = p->api->settings_child(g, name);

	return m ? m : g;
}

/* Ids appear in logs and in other modules' tables: keep them plain. */
static bool id_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.' || *s == ':'))
			return false;
	return true;
}

static int check_id(const struct parse *p, const struct fzgw_settings *g, const char *id)
{
	if (!id_ok(id))
		return bad(p, member(p, g, "id"), "bad id \"%s\" (use letters, digits and - _ . :)",
			   id);
	return 0;
}

/* A tunnel address for @key of group @g; an empty @text leaves family 0. */
static int tunnel_addr(const struct parse *p, const struct fzgw_settings *g, const char *key,
		       const char *text, int family, struct fzgw_addr *out)
{
	const struct fzgw_settings *at = member(p, g, key);

	memset(out, 0, sizeof(*out));
	if (!p->api->settings_child(g, key))
		return 0;
	if (static_parse_addr(text, out) < 0 || out->family != family)
		return bad(p, at, "bad IPv%d address \"%s\"", family, text);
	if (!static_in_tunnel(out))
		return bad(p, at, "%s is outside the tunnel range %s", text,
			   family == 4 ? "100.64.0.0/11" : "fd00:2021:1111::/107");
	return 0;
}

/* ports = [22, 443, "8000-8999"]: integers read with settings_int, strings as a port list. */
static int parse_port_list(const struct parse *p, const struct fzgw_settings *list,
			   struct fzgw_filter *f, struct fzgw_port_range **ranges)
{
	int n = p->api->settings_count(list);

	if (n == 0)
		return bad(p, list, "empty port list (leave \"ports\" out for every port)");
	for (int i = 0; i < n; i++) {
		const struct fzgw_settings *e = p->api->settings_elem(list, i);
		const char *text = p->api->settings_string(e);
		int64_t v;
		int rc;

		if (p->api->settings_int(e, &v) == 0) {
			if (v < 1 || v > 65535)
				return bad(p, e, "port %lld out of range 1..65535", (long long)v);
			rc = static_add_range(ranges, &f->n_ranges, (uint16_t)v, (uint16_t)v);
		} else if (text) {
			rc = static_parse_ports(text, ranges, &f->n_ranges);
			if (rc == -EINVAL)
				return bad(p, e, "bad port range \"%s\" (e.g. \"8000-8999\")", text);
		} else {
			return bad(p, e, "wrong type, expected a port number or a \"first-last\" string");
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_filter(const struct parse *p, const struct fzgw_settings *fs,
			struct fzgw_filter *f)
{
	struct filter_in in;
	const struct fzgw_settings *ports = p->api->settings_child(fs, "ports");
	int64_t scalar;
	/* a string and a lone integer take the string table (which names the type it wants);
	 * anything else is read as a list, whose table refuses what is not one */
	bool as_list = ports && !p->api->settings_string(ports) &&
		       p->api->settings_int(ports, &scalar) < 0;
	struct fzgw_port_range *ranges = NULL;
	int rc;

	memset(&in, 0, sizeof(in));
	if ((rc = p->api->settings_parse(p->ctx, fs, as_list ? filter_list_keys : filter_keys,
					 &in)) < 0)
		return rc;
	if (!strcmp(in.protocol, "tcp"))
		f->proto = FZGW_FILTER_TCP;
	else if (!strcmp(in.protocol, "udp"))
		f->proto = FZGW_FILTER_UDP;
	else if (!strcmp(in.protocol, "icmp"))
		f->proto = FZGW_FILTER_ICMP;
	else
		return bad(p, member(p, fs, "protocol"), "unknown protocol \"%s\" (tcp, udp, icmp)",
			   in.protocol);
	if (!ports)
		return 0;
	if (f->proto == FZGW_FILTER_ICMP)
		return bad(p, ports, "icmp filters take no ports");
	if (as_list)
		rc = parse_port_list(p, ports, f, &ranges);
	else if ((rc = static_parse_ports(in.ports, &ranges, &f->n_ranges)) == -EINVAL)
		rc = bad(p, ports, "bad port list \"%s\" (e.g. \"80, 8000-8999\": ports 1-65535, "
			 "first <= last)", in.ports);
	f->ranges = ranges; /* owned by the conf, freed with it even on error */
	return rc;
}

static int parse_filters(const struct parse *p, const struct fzgw_settings *rs,
			 struct fzgw_resource *r)
{
	const struct fzgw_settings *list = p->api->settings_child(rs, "filters");
	int n = p->api->settings_count(list), rc;
	struct fzgw_filter *filters;

	if (n == 0)
		return 0;
	if (!(filters = calloc((size_t)n, sizeof(*filters))))
		return -ENOMEM;
	r->filters = filters;
	for (int i = 0; i < n; i++) {
		r->n_filters = (uint32_t)i + 1; /* so that a failure frees this filter's ranges */
		if ((rc = parse_filter(p, p->api->settings_elem(list, i), &filters[i])) < 0)
			return rc;
	}
	return 0;
}

static int parse_resource(const struct parse *p, const struct fzgw_settings *rs,
			  struct fzgw_resource *r)
{
	struct res_in in;
	char pattern[STATIC_PATTERN_MAX];
	const struct fzgw_settings *addr;
	int rc;

	memset(&in, 0, sizeof(in));
	if ((rc = p->api->settings_parse(p->ctx, rs, res_keys, &in)) < 0)
		return rc;
	if ((rc = check_id(p, rs, in.id)) < 0)
		return rc;
	memcpy(r->id, in.id, sizeof(r->id));
	addr = p->api->settings_child(rs, "address");
	if (!strcmp(in.type, "cidr")) {
		r->type = FZGW_RES_CIDR;
		if (!addr)
			return bad(p, rs, "a cidr resource needs an address");
		if (static_parse_cidr(in.address, &r->addr, &r->prefix_len) < 0)
			return bad(p, addr, "bad CIDR \"%s\" (e.g. 10.200.0.0/24, host bits clear)",
				   in.address);
	} else if (!strcmp(in.type, "dns")) {
		r->type = FZGW_RES_DNS;
		if (!addr)
			return bad(p, rs, "a dns resource needs an address");
		if (static_parse_dns_pattern(in.address, pattern, sizeof(pattern)) < 0)
			return bad(p, addr, "bad DNS name pattern \"%s\" (e.g. *.corp.example)",
				   in.address);
		if (!(r->pattern = strdup(pattern)))
			return -ENOMEM;
	} else if (!strcmp(in.type, "internet")) {
		r->type = FZGW_RES_INTERNET;
		if (addr)
			return bad(p, addr, "internet resources take no address");
	} else {
		return bad(p, member(p, rs, "type"),
			   "unknown resource type \"%s\" (cidr, dns, internet)", in.type);
	}
	return parse_filters(p, rs, r);
}

static int cmp_res_id(const void *a, const void *b, void *arg)
{
	const struct fzgw_resource *res = arg;
	uint16_t i = *(const uint16_t *)a, j = *(const uint16_t *)b;
	int d = strcmp(res[i].id, res[j].id);

	return d ? d : (int)i - (int)j;
}

static int parse_resources(const struct parse *p, const struct fzgw_settings *list)
{
	struct static_conf *c = p->c;
	int n = p->api->settings_count(list), rc, dup = -1, first = -1;

	if (n > STATIC_MAX_RESOURCES)
		return bad(p, list, "more than %d resources", STATIC_MAX_RESOURCES);
	if (n == 0)
		return 0;
	c->res = calloc((size_t)n, sizeof(*c->res));
	c->res_by_id = calloc((size_t)n, sizeof(*c->res_by_id));
	if (!c->res || !c->res_by_id)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		c->n_res = i + 1; /* so that a failure frees this resource's lists */
		if ((rc = parse_resource(p, p->api->settings_elem(list, i), &c->res[i])) < 0)
			return rc;
		c->res_by_id[i] = (uint16_t)i;
	}
	qsort_r(c->res_by_id, (size_t)n, sizeof(*c->res_by_id), cmp_res_id, c->res);
	/* report the duplicate that comes first in the file */
	for (int k = 1; k < n; k++) {
		int i = c->res_by_id[k - 1], j = c->res_by_id[k];

		if (!strcmp(c->res[i].id, c->res[j].id) && (dup < 0 || j < dup)) {
			dup = j;
			first = i;
		}
	}
	if (dup >= 0)
		return bad(p, member(p, p->api->settings_elem(list, dup), "id"),
			   "duplicate resource id \"%s\" (already resources[%d])", c->res[dup].id,
			   first);
	return 0;
}

int static_conf_find_res(const struct static_conf *c, const char *id)
{
	int lo = 0, hi = c->n_res - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2, i = c->res_by_id[mid];
		int d = strcmp(id, c->res[i].id);

		if (!d)
			return i;
		if (d < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

int static_conf_find_peer(const struct static_conf *c, const char *id)
{
	for (int i = 0; i < c->n_peers; i++)
		if (!strcmp(c->peers[i].id, id))
			return i;
	return -1;
}

static int parse_grants(const struct parse *p, const struct fzgw_settings *ps,
			struct static_peer *peer)
{
	const struct fzgw_settings *list = p->api->settings_child(ps, "resources");
	int n = p->api->settings_count(list);

	if (n == 0)
		return bad(p, list, "a peer needs at least one resource");
	if (n > STATIC_MAX_GRANTS)
		return bad(p, list, "more than %d resources for one peer", STATIC_MAX_GRANTS);
	if (!(peer->grants = calloc((size_t)n, sizeof(*peer->grants))))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const struct fzgw_settings *e = p->api->settings_elem(list, i);
		const char *id = p->api->settings_string(e);
		int r;

		if (!id)
			return bad(p, e, "wrong type, expected a resource id string");
		if ((r = static_conf_find_res(p->c, id)) < 0)
			return bad(p, e, "unknown resource \"%s\"", id);
		for (int k = 0; k < peer->n_grants; k++)
			if (peer->grants[k] == r)
				return bad(p, e, "resource \"%s\" listed twice", id);
		peer->grants[peer->n_grants++] = (uint16_t)r;
	}
	return 0;
}

/* Duplicates against the peers before @peer, and against the gateway's own addresses. */
static int check_unique(const struct parse *p, const struct fzgw_settings *ps, int idx)
{
	const struct static_conf *c = p->c;
	const struct static_peer *peer = &c->peers[idx];

	for (int k = 0; k < 2; k++) {
		const struct fzgw_addr *a = k ? &peer->ipv6 : &peer->ipv4;
		const struct fzgw_addr *gw = k ? &c->ipv6 : &c->ipv4;

		if (a->family && static_addr_equal(a, gw))
			return bad(p, member(p, ps, k ? "ipv6" : "ipv4"),
				   "address is the gateway's own");
	}
	for (int i = 0; i < idx; i++) {
		const struct static_peer *o = &c->peers[i];

		if (!strcmp(o->id, peer->id))
			return bad(p, member(p, ps, "id"),
				   "duplicate peer id \"%s\" (already peers[%d])", peer->id, i);
		if (!sodium_memcmp(o->public_key, peer->public_key, sizeof(o->public_key)))
			return bad(p, member(p, ps, "public_key"),
				   "duplicate public key (already peers[%d])", i);
		if (peer->ipv4.family && static_addr_equal(&o->ipv4, &peer->ipv4))
			return bad(p, member(p, ps, "ipv4"),
				   "duplicate tunnel address (already peers[%d])", i);
		if (peer->ipv6.family && static_addr_equal(&o->ipv6, &peer->ipv6))
			return bad(p, member(p, ps, "ipv6"),
				   "duplicate tunnel address (already peers[%d])", i);
	}
	return 0;
}

static int parse_peer(const struct parse *p, const struct fzgw_settings *ps, int idx)
{
	struct static_peer *peer = &p->c->peers[idx];
	struct peer_in in;
	int rc;

	memset(&in, 0, sizeof(in));
	if ((rc = p->api->settings_parse(p->ctx, ps, peer_keys, &in)) < 0)
		goto out;
	if ((rc = check_id(p, ps, in.id)) < 0)
		goto out;
	memcpy(peer->id, in.id, sizeof(peer->id));
	/* the key text is never quoted back: a preshared key is a secret */
	if (static_parse_key(in.public_key, peer->public_key) < 0) {
		rc = bad(p, member(p, ps, "public_key"),
			 "bad key: expected base64 of exactly 32 bytes");
		goto out;
	}
	if (p->api->settings_child(ps, "preshared_key")) {
		if (static_parse_key(in.preshared_key, peer->preshared_key) < 0) {
			rc = bad(p, member(p, ps, "preshared_key"),
				 "bad key: expected base64 of exactly 32 bytes");
			goto out;
		}
		peer->has_psk = true;
	}
	if ((rc = tunnel_addr(p, ps, "ipv4", in.ipv4, 4, &peer->ipv4)) < 0 ||
	    (rc = tunnel_addr(p, ps, "ipv6", in.ipv6, 6, &peer->ipv6)) < 0)
		goto out;
	if (!peer->ipv4.family && !peer->ipv6.family) {
		rc = bad(p, ps, "a peer needs ipv4 or ipv6 (or both)");
		goto out;
	}
	peer->expires_at = in.expires_at;
	if ((rc = check_unique(p, ps, idx)) < 0)
		goto out;
	rc = parse_grants(p, ps, peer);
out:
	sodium_memzero(&in, sizeof(in));
	return rc;
}

static int parse_peers(const struct parse *p, const struct fzgw_settings *list)
{
	struct static_conf *c = p->c;
	int n = p->api->settings_count(list), rc;

	if (n > STATIC_MAX_PEERS)
		return bad(p, list, "more than %d peers", STATIC_MAX_PEERS);
	if (n == 0)
		return 0;
	if (!(c->peers = sodium_allocarray((size_t)n, sizeof(*c->peers))))
		return -ENOMEM;
	memset(c->peers, 0, (size_t)n * sizeof(*c->peers));
	for (int i = 0; i < n; i++) {
		c->n_peers = i + 1; /* so that a failure frees this peer's grants */
		if ((rc = parse_peer(p, p->api->settings_elem(list, i), i)) < 0)
			return rc;
	}
	return 0;
}

int static_conf_parse(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		      const struct fzgw_settings *s, struct static_conf *out)
{
	struct parse p = { ctx, api, out };
	struct top_in top;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&top, 0, sizeof(top));
	if (sodium_init() < 0)
		return -ENOMEM;
	if ((rc = api->settings_parse(ctx, s, top_keys, &top)) < 0)
		goto err;
	if ((rc = tunnel_addr(&p, s, "ipv4", top.ipv4, 4, &out->ipv4)) < 0 ||
	    (rc = tunnel_addr(&p, s, "ipv6", top.ipv6, 6, &out->ipv6)) < 0)
		goto err;
	if (!out->ipv4.family && !out->ipv6.family) {
		/* without a settings group there is no line to point at: name the module */
		if (s)
			rc = bad(&p, s, "the gateway needs its tunnel address: ipv4, ipv6 or both");
		else
			rc = bad(&p, s, "module \"static\" needs settings = { ipv4 = ...; "
				 "ipv6 = ...; }");
		goto err;
	}
	if ((rc = parse_resources(&p, api->settings_child(s, "resources"))) < 0 ||
	    (rc = parse_peers(&p, api->settings_child(s, "peers"))) < 0)
		goto err;
	return 0;
err:
	static_conf_free(out);
	return rc;
}

void static_conf_free(struct static_conf *c)
{
	if (c->peers) {
		for (int i = 0; i < c->n_peers; i++)
			free(c->peers[i].grants);
		sodium_free(c->peers); /* wipes the preshared keys */
	}
	for (int i = 0; c->res && i < c->n_res; i++) {
		struct fzgw_resource *r = &c->res[i];

		for (uint32_t f = 0; r->filters && f < r->n_filters; f++)
			free((void *)r->filters[f].ranges);
		free((void *)r->filters);
		free((void *)r->pattern);
	}
	free(c->res);
	free(c->res_by_id);
	memset(c, 0, sizeof(*c));
}

bool static_res_equal(const struct fzgw_resource *a, const struct fzgw_resource *b)
{
	if (strcmp(a->id, b->id) || a->type != b->type || a->n_filters != b->n_filters)
		return false;
	if (a->type == FZGW_RES_CIDR &&
	    (a->prefix_len != b->prefix_len || !static_addr_equal(&a->addr, &b->addr)))
		return false;
	if (a->type == FZGW_RES_DNS && strcmp(a->pattern, b->pattern))
		return false;
	for (uint32_t i = 0; i < a->n_filters; i++) {
		const struct fzgw_filter *f = &a->filters[i], *g = &b->filters[i];

		if (f->proto != g->proto || f->n_ranges != g->n_ranges ||
		    (f->n_ranges && memcmp(f->ranges, g->ranges, f->n_ranges * sizeof(f->ranges[0]))))
			return false;
	}
	return true;
}
