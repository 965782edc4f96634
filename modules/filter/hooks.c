/* SPDX-License-Identifier: Apache-2.0 */
/* The packet hooks: default-deny policy in both directions, ICMP answers and drop counters. */
#include <arpa/inet.h>
#include <stdio.h>

#include "filter.h"

static const char *const in_names[FILTER_REASON_COUNT] = {
	[FILTER_OK] = "accepted",
	[FILTER_NO_PEER] = "no-peer",
	[FILTER_CONTROL] = "control-packet",
	[FILTER_ANOTHER_CLIENT] = "another-client",
	[FILTER_NO_RESOURCE] = "no-resource",
	[FILTER_PORT_DENIED] = "port-denied",
	[FILTER_PROTO_DENIED] = "proto-denied",
	[FILTER_EXPIRED] = "expired",
	[FILTER_INTERNET_EXCLUDED] = "internet-excluded",
};

/* Outbound refusals are not answered; an excluded Internet address is simply not covered. */
static const char *const out_names[FILTER_REASON_COUNT] = {
	[FILTER_OK] = "out-accepted",
	[FILTER_NO_PEER] = "out-no-peer",
	[FILTER_CONTROL] = "out-control-packet",
	[FILTER_ANOTHER_CLIENT] = "out-another-client",
	[FILTER_NO_RESOURCE] = "out-no-resource",
	[FILTER_PORT_DENIED] = "out-port-denied",
	[FILTER_PROTO_DENIED] = "out-proto-denied",
	[FILTER_EXPIRED] = "out-expired",
	[FILTER_INTERNET_EXCLUDED] = "out-no-resource",
};

const char *filter_reason_name(enum filter_reason r, int dir)
{
	if ((unsigned)r >= FILTER_REASON_COUNT)
		return "?";
	return dir == FZGW_DIR_IN ? in_names[r] : out_names[r];
}

void filter_counters_register(struct filter_state *st)
{
	for (int r = FILTER_NO_PEER; r < FILTER_REASON_COUNT; r++) {
		st->cnt_in[r] = st->api->counter_register(st->ctx, in_names[r]);
		st->cnt_out[r] = st->api->counter_register(st->ctx, out_names[r]);
	}
	st->cnt_icmp_sent = st->api->counter_register(st->ctx, "icmp-answers");
	st->cnt_icmp_limited = st->api->counter_register(st->ctx, "icmp-rate-limited");
	st->cnt_expired_grants = st->api->counter_register(st->ctx, "grants-expired");
	st->cnt_proxy_set = st->api->counter_register(st->ctx, "proxy-ips-set");
	st->cnt_proxy_removed = st->api->counter_register(st->ctx, "proxy-ips-removed");
	st->cnt_proxy_ignored = st->api->counter_register(st->ctx, "proxy-ips-ignored");
	st->cnt_type_refused = st->api->counter_register(st->ctx, "type-change-refused");
	st->cnt_cache_hits = st->api->counter_register(st->ctx, "cache-hits");
	st->cnt_cache_misses = st->api->counter_register(st->ctx, "cache-misses");
	st->cnt_icmp_unrelated = st->api->counter_register(st->ctx, "out-icmp-error-unrelated");
}

static void count(struct filter_state *st, int id)
{
	if (id >= 0)
		st->api->counter_add(st->ctx, id, 1);
}

/* A token bucket in thousandths: @rate per second, burst @rate. */
static bool take_token(uint64_t *tokens, uint64_t *last_ms, uint32_t rate, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)rate * 1000u;

	if (!rate)
		return false;
	if (now_ms > *last_ms) {
		uint64_t add = (now_ms - *last_ms) * rate;

		*tokens = add >= cap || *tokens + add >= cap ? cap : *tokens + add;
	}
	*last_ms = now_ms;
	if (*tokens > cap)
		*tokens = cap; /* the rate went down on reload */
	if (*tokens < 1000)
		return false;
	*tokens -= 1000;
	return true;
}

static void answer(struct filter_state *st, struct filter_client *c, const struct fzgw_packet *pkt,
		   int kind)
{
	uint64_t now = st->api->now_ms(st->ctx);
	bool ok = c ? take_token(&c->tokens, &c->bucket_ms, st->icmp_rate, now)
		    : take_token(&st->anon_tokens, &st->anon_bucket_ms, st->icmp_rate, now);

	if (!ok) {
		count(st, st->cnt_icmp_limited);
		return;
	}
	if (st->api->icmp_reply(st->ctx, pkt, kind, 0) == 0)
		count(st, st->cnt_icmp_sent);
}

static void addr_text(const struct fzgw_addr *a, char *buf, size_t len)
{
	int af = a->family == 4 ? AF_INET : AF_INET6;

	if (!a->family || !inet_ntop(af, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static void log_denial(struct filter_state *st, const struct fzgw_packet *pkt, const char *why)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	if (!st->deny_log || !st->api->log_enabled(st->ctx, FZGW_LOG_DEBUG) ||
	    !take_token(&st->log_tokens, &st->log_bucket_ms, 10, st->api->now_ms(st->ctx)))
		return;
	addr_text(&pkt->ip.src, src, sizeof(src));
	addr_text(&pkt->ip.dst, dst, sizeof(dst));
	st->api->log(st->ctx, FZGW_LOG_DEBUG, "%s: %s port %u -> %s port %u, proto %u: %s",
		     pkt->peer ? pkt->peer->client_id : "?", src, pkt->ip.src_port, dst,
		     pkt->ip.dst_port, pkt->ip.proto, why);
}

static enum fzgw_verdict deny(struct filter_state *st, struct filter_client *c,
			      struct fzgw_packet *pkt, enum filter_reason r)
{
	const char *why = filter_reason_name(r, pkt->dir);

	count(st, pkt->dir == FZGW_DIR_IN ? st->cnt_in[r] : st->cnt_out[r]);
	if (pkt->dir == FZGW_DIR_IN && r != FILTER_NO_PEER && r != FILTER_CONTROL)
		answer(st, c, pkt, r == FILTER_INTERNET_EXCLUDED ? FZGW_ICMP_NET_UNREACH
								: FZGW_ICMP_PROHIBITED);
	log_denial(st, pkt, why);
	pkt->drop_reason = why;
	return FZGW_DROP;
}

static bool is_gateway(const struct filter_state *st, const struct fzgw_addr *a)
{
	return filter_addr_equal(a, a->family == 4 ? &st->gw4 : &st->gw6);
}

static enum filter_reason decide(struct filter_state *st, struct filter_client *c,
				 const struct fzgw_packet *pkt, const struct fzgw_addr *a,
				 uint16_t port)
{
	struct filter_query q = {
		.addr = a,
		.proto = pkt->ip.proto,
		.has_port = pkt->ip.flags & FZGW_IP_F_HAS_PORTS,
		.port = port,
		.now = st->api->wall_s(st->ctx),
	};

	return filter_decide_class(c, filter_cache_classify(st, c, a), &q);
}

/* Client -> site: the destination must be a granted resource. */
enum fzgw_verdict filter_hook_in(void *state, struct fzgw_packet *pkt)
{
	struct filter_state *st = state;
	const struct fzgw_addr *dst = &pkt->ip.dst;
	struct filter_client *c;
	enum filter_reason r;

	if (!pkt->peer)
		return deny(st, NULL, pkt, FILTER_NO_PEER);
	/* p2p control (:: to ::) belongs to the PARSE phase; it is never a resource's traffic */
	if (pkt->ip.kind == FZGW_IP_KIND_CONTROL)
		return deny(st, NULL, pkt, FILTER_CONTROL);
	if (is_gateway(st, dst))
		return FZGW_ACCEPT;
	c = filter_client_find(st, pkt->peer->client_id);
	if (filter_in_tunnel(dst) && !filter_in_proxy(dst))
		return deny(st, c, pkt, FILTER_ANOTHER_CLIENT);
	if (!c)
		return deny(st, NULL, pkt, FILTER_NO_RESOURCE);
	r = decide(st, c, pkt, dst, pkt->ip.dst_port);
	return r == FILTER_OK ? FZGW_ACCEPT : deny(st, c, pkt, r);
}

/*
 * An ICMP error may reach a client only about one of that client's own allowed flows: the
 * quoted packet went from its tunnel address to the gateway or to a destination, protocol
 * and port it may reach now. The error's own source is not checked (a router on the way
 * sends time-exceeded and packet-too-big), the quote is: anyone who can route to the client
 * range could otherwise send errors with chosen payload to every client.
 */
static bool quoted_flow_allowed(struct filter_state *st, const struct fzgw_packet *pkt)
{
	const struct fzgw_ip_inner *q = &pkt->ip.inner;
	const struct fzgw_addr *own;
	struct filter_client *c;
	struct filter_query fq;

	if (!q->l3_len || !q->src.family || q->src.family != q->dst.family)
		return false;
	own = q->src.family == 4 ? &pkt->peer->ipv4 : &pkt->peer->ipv6;
	if (!own->family || !filter_addr_equal(&q->src, own))
		return false;
	if (is_gateway(st, &q->dst))
		return true;
	if (filter_in_tunnel(&q->dst) && !filter_in_proxy(&q->dst))
		return false;
	if (!(c = filter_client_find(st, pkt->peer->client_id)))
		return false;
	fq = (struct filter_query){
		.addr = &q->dst,
		.proto = q->proto,
		.has_port = q->has_ports && (q->proto == 6 || q->proto == 17),
		.port = q->dst_port,
		.now = st->api->wall_s(st->ctx),
	};
	return filter_decide_class(c, filter_cache_classify(st, c, &q->dst), &fq) == FILTER_OK;
}

static enum fzgw_verdict deny_icmp_error(struct filter_state *st, struct fzgw_packet *pkt)
{
	static const char why[] = "out-icmp-error-unrelated";

	count(st, st->cnt_icmp_unrelated);
	log_denial(st, pkt, why);
	pkt->drop_reason = why;
	return FZGW_DROP;
}

/* Site -> client: the source must be a granted resource, its port the filtered one. */
enum fzgw_verdict filter_hook_out(void *state, struct fzgw_packet *pkt)
{
	struct filter_state *st = state;
	const struct fzgw_addr *src = &pkt->ip.src;
	struct filter_client *c;
	enum filter_reason r;

	if (!pkt->peer)
		return deny(st, NULL, pkt, FILTER_NO_PEER);
	if (pkt->ip.kind == FZGW_IP_KIND_CONTROL)
		return deny(st, NULL, pkt, FILTER_CONTROL);
	if (is_gateway(st, src))
		return FZGW_ACCEPT;
	if (pkt->ip.flags & FZGW_IP_F_ICMP_ERROR)
		return quoted_flow_allowed(st, pkt) ? FZGW_ACCEPT : deny_icmp_error(st, pkt);
	if (filter_in_tunnel(src) && !filter_in_proxy(src))
		return deny(st, NULL, pkt, FILTER_ANOTHER_CLIENT);
	if (!(c = filter_client_find(st, pkt->peer->client_id)))
		return deny(st, NULL, pkt, FILTER_NO_RESOURCE);
	r = decide(st, c, pkt, src, pkt->ip.src_port);
	return r == FILTER_OK ? FZGW_ACCEPT : deny(st, c, pkt, r);
}
