/* SPDX-License-Identifier: Apache-2.0 */
/* The packet hooks: control messages, held packets, translation both ways, ICMP errors. */
#include <errno.h>
#include <string.h>

#include "nat.h"

enum { PROTO_ICMP = 1, PROTO_ICMPV6 = 58 };

static struct nat_client *client_of(const struct nat_state *st, const struct fzgw_packet *pkt)
{
	return pkt->peer ? nat_client_find(st, pkt->peer->client_id) : NULL;
}

static enum fzgw_verdict drop(struct fzgw_packet *pkt, const char *why)
{
	pkt->drop_reason = why;
	return FZGW_DROP;
}

static enum fzgw_verdict control(struct nat_state *st, struct fzgw_packet *pkt)
{
	const uint8_t *payload = pkt->data + pkt->ip.l3_len;
	size_t len = pkt->len - pkt->ip.l3_len;
	struct p2p_assigned_ips a;
	enum p2p_error e;

	struct nat_client *c;

	if (!pkt->peer)
		return drop(pkt, "control-no-peer");
	switch (p2p_event_type(payload, len)) {
	case P2P_ASSIGNED_IPS:
		/*
		 * Hardening 4: each message may start a lookup and answers with a DomainStatus, so
		 * each client has a budget; clients without DNS grants share one.
		 */
		c = client_of(st, pkt);
		if (!nat_control_allowed(st, c ? c : &st->anon)) {
			nat_count(st, NAT_CNT_CONTROL_LIMITED, 1);
			return drop(pkt, "control-rate-limited");
		}
		if ((e = p2p_parse_assigned_ips(payload, len, &a)) != P2P_OK) {
			if (st->cnt_bad[e] >= 0)
				st->api->counter_add(st->ctx, st->cnt_bad[e], 1);
			return drop(pkt, p2p_error_name(e));
		}
		nat_assigned_ips(st, pkt->peer, &a);
		break;
	case P2P_GOODBYE:
		/* the client is leaving: it goes with every grant, as in the original */
		nat_count(st, NAT_CNT_GOODBYE_IN, 1);
		nat_client_goodbye(st, pkt->peer->client_id);
		break;
	case -1:
		if (st->cnt_bad[P2P_ERR_SHORT] >= 0)
			st->api->counter_add(st->ctx, st->cnt_bad[P2P_ERR_SHORT], 1);
		return drop(pkt, p2p_error_name(P2P_ERR_SHORT));
	default:
		/* DomainStatus goes the other way; NoAuthorization and newer events are not ours */
		nat_count(st, NAT_CNT_UNEXPECTED, 1);
		return drop(pkt, "control-unexpected");
	}
	st->api->pkt_free(st->ctx, pkt, NULL); /* consumed: not a drop */
	return FZGW_STOLEN;
}

/* IN_PARSE: control messages end here; packets to a name still resolving wait for it. */
enum fzgw_verdict nat_hook_control(void *state, struct fzgw_packet *pkt)
{
	struct nat_state *st = state;
	const struct nat_proxy *p;
	struct nat_client *c;

	if (pkt->ip.kind == FZGW_IP_KIND_CONTROL)
		return control(st, pkt);
	if (pkt->dir != FZGW_DIR_IN || !p2p_in_proxy_range(&pkt->ip.dst) ||
	    !(c = client_of(st, pkt)) || !(p = nat_proxy_find(c, &pkt->ip.dst)) || p->dom->active ||
	    p->dom->state != NAT_DOM_RESOLVING)
		return FZGW_CONTINUE;
	if (!nat_hold(st, c, p->dom, pkt))
		return drop(pkt, "nat-pending-full");
	return FZGW_STOLEN;
}

static bool translatable(const struct fzgw_ip *v)
{
	return (v->flags & FZGW_IP_F_HAS_PORTS) || (v->flags & FZGW_IP_F_ICMP_ECHO);
}

static enum fzgw_verdict unreachable(struct nat_state *st, struct fzgw_packet *pkt,
				     const char *why)
{
	st->api->icmp_reply(st->ctx, pkt, FZGW_ICMP_NET_UNREACH, 0);
	return drop(pkt, why);
}

static enum fzgw_verdict forward_failed(struct nat_state *st, struct fzgw_packet *pkt, int rc)
{
	switch (rc) {
	case -ENOSPC:
		nat_count(st, NAT_CNT_TABLE_FULL, 1);
		return unreachable(st, pkt, "nat-table-full");
	case -EDQUOT:
		nat_count(st, NAT_CNT_CLIENT_FULL, 1);
		return unreachable(st, pkt, "nat-client-table-full");
	case -EADDRINUSE:
		nat_count(st, NAT_CNT_EXHAUSTED, 1);
		return unreachable(st, pkt, "nat-ports-exhausted");
	default:
		return unreachable(st, pkt, "nat-no-memory");
	}
}

/* IN_NAT: a proxy IP becomes the real one, the source port the session's. */
enum fzgw_verdict nat_hook_in(void *state, struct fzgw_packet *pkt)
{
	struct nat_state *st = state;
	const struct fzgw_addr *dst = &pkt->ip.dst, *real;
	const struct nat_proxy *p;
	struct nat_client *c;
	struct nat_entry *e;
	int rc;

	if (pkt->dir != FZGW_DIR_IN || !p2p_in_proxy_range(dst))
		return FZGW_CONTINUE;
	if (pkt->ip.flags & FZGW_IP_F_ICMP_ERROR)
		return drop(pkt, "nat-icmp-error-from-client");
	if (!(c = client_of(st, pkt)) || !(p = nat_proxy_find(c, dst)) || !p->dom->active)
		return unreachable(st, pkt, "nat-no-mapping");
	real = &p->dom->real[p->i];
	if (real->family != dst->family)
		return unreachable(st, pkt, "nat-no-address");
	if (!translatable(&pkt->ip))
		return drop(pkt, "nat-unsupported-protocol");
	rc = nat_table_forward(&st->table, &c->t, pkt->ip.proto, pkt->ip.src_port, dst, real,
			       pkt->ip.tcp_flags, st->api->now_ms(st->ctx), &e);
	if (rc < 0)
		return forward_failed(st, pkt, rc);
	if (rc == 1)
		nat_count(st, NAT_CNT_SESSIONS, 1);
	if (st->api->pkt_set_dst(pkt, &e->real) < 0)
		return drop(pkt, "nat-rewrite-failed");
	if (e->out_port != pkt->ip.src_port) {
		rc = pkt->ip.flags & FZGW_IP_F_ICMP_ECHO
			 ? st->api->pkt_set_icmp_id(pkt, e->out_port)
			 : st->api->pkt_set_src_port(pkt, e->out_port);
		if (rc < 0)
			return drop(pkt, "nat-rewrite-failed");
	}
	return FZGW_CONTINUE;
}

/* An error about a translated packet: the client gets one about what it sent. */
static enum fzgw_verdict icmp_error(struct nat_state *st, struct nat_client *c,
				    struct fzgw_packet *pkt)
{
	const struct fzgw_ip_inner *in = &pkt->ip.inner;
	uint8_t buf[FZGW_IP_MAX_SIZE];
	struct nat_entry *e;
	int rc, n;

	if (!in->has_ports || in->dst.family != pkt->ip.version)
		return FZGW_CONTINUE;
	rc = nat_table_reverse(&st->table, &c->t, in->proto, in->src_port, &in->dst, 0,
			       st->api->now_ms(st->ctx), &e);
	if (rc == -ESTALE)
		return drop(pkt, "expired-nat-session");
	if (rc < 0)
		return FZGW_CONTINUE; /* about a packet we did not translate */
	n = nat_icmp_translate(buf, sizeof(buf), pkt->data, &pkt->ip, &e->proxy, e->in_port);
	if (n < 0 || (uint32_t)n > pkt->cap)
		return drop(pkt, "nat-icmp-untranslatable");
	memcpy(pkt->data, buf, (size_t)n);
	pkt->len = (uint32_t)n;
	if (st->api->pkt_reparse(st->ctx, pkt) < 0)
		return drop(pkt, "nat-icmp-untranslatable");
	nat_count(st, NAT_CNT_ICMP_XLAT, 1);
	return FZGW_CONTINUE;
}

/* OUT_NAT: the real source becomes the proxy IP again, the port the client's. */
enum fzgw_verdict nat_hook_out(void *state, struct fzgw_packet *pkt)
{
	struct nat_state *st = state;
	struct nat_client *c;
	struct nat_entry *e;
	int rc;

	if (pkt->dir != FZGW_DIR_OUT || !(c = client_of(st, pkt)) || !(c->t.n_live + c->t.n_dead))
		return FZGW_CONTINUE;
	if (pkt->ip.flags & FZGW_IP_F_ICMP_ERROR)
		return icmp_error(st, c, pkt);
	if (!translatable(&pkt->ip))
		return FZGW_CONTINUE;
	rc = nat_table_reverse(&st->table, &c->t, pkt->ip.proto, pkt->ip.dst_port, &pkt->ip.src,
			       pkt->ip.tcp_flags, st->api->now_ms(st->ctx), &e);
	if (rc == -ESTALE)
		return drop(pkt, "expired-nat-session");
	if (rc < 0)
		return FZGW_CONTINUE; /* CIDR or Internet traffic */
	if (st->api->pkt_set_src(pkt, &e->proxy) < 0)
		return drop(pkt, "nat-rewrite-failed");
	if (e->in_port != pkt->ip.dst_port) {
		rc = pkt->ip.flags & FZGW_IP_F_ICMP_ECHO
			 ? st->api->pkt_set_icmp_id(pkt, e->in_port)
			 : st->api->pkt_set_dst_port(pkt, e->in_port);
		if (rc < 0)
			return drop(pkt, "nat-rewrite-failed");
	}
	return FZGW_CONTINUE;
}
