/* SPDX-License-Identifier: Apache-2.0 */
/* UDP routing: STUN from the socket (TURN answers to the allocations, ICE checks and answers
 * to the connections' agents), ChannelData from the relays (STUN inside to the agents,
 * WireGuard to the core), and what the agents send (raw, or as ChannelData via a relay). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "channeldata.h"
#include "demux.h"
#include "relay.h"

void rl_ep_of(struct fzgw_endpoint *e, const struct stun_addr *a)
{
	memset(e, 0, sizeof(*e));
	e->addr.family = a->family;
	memcpy(e->addr.bytes, a->ip, a->family == 4 ? 4 : 16);
	e->port = a->port;
}

void rl_addr_of(struct stun_addr *a, const struct fzgw_endpoint *e)
{
	memset(a, 0, sizeof(*a));
	a->family = e->addr.family;
	memcpy(a->ip, e->addr.bytes, e->addr.family == 4 ? 4 : 16);
	a->port = e->port;
}

const char *rl_addr_str(const struct stun_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == 4 && inet_ntop(AF_INET, a->ip, ip, sizeof(ip)))
		snprintf(buf, len, "%s:%u", ip, a->port);
	else if (a->family == 6 && inet_ntop(AF_INET6, a->ip, ip, sizeof(ip)))
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, len, "-");
	return buf;
}

int rl_send(struct relay_mod *m, const struct stun_addr *to, const uint8_t *d, size_t len)
{
	struct fzgw_endpoint e;
	int rc;

	rl_ep_of(&e, to);
	if ((rc = m->api->udp_send(m->ctx, &e, d, len)) < 0)
		rl_count(m, RL_C_TX_ERRORS, 1);
	return rc;
}

void rl_agent_flush(struct relay_mod *m, struct rl_conn *c)
{
	uint8_t buf[CD_HEADER_LEN + ICE_MSG_MAX];
	struct ice_transmit tx;
	struct ice_event ev;
	size_t n;

	while (c->agent && (n = ice_agent_transmit(c->agent, buf + CD_HEADER_LEN,
						    sizeof(buf) - CD_HEADER_LEN, &tx))) {
		struct rl_relay *r;
		int ch, len;

		rl_count(m, RL_C_CHECKS_SENT, 1);
		if (tx.base.kind == ICE_BASE_HOST) {
			rl_send(m, &tx.to, buf + CD_HEADER_LEN, n);
			continue;
		}
		if (!(r = rl_relay_slot(m, tx.base.relay)) || !r->ta || !r->server.family ||
		    (ch = turn_alloc_channel_of(r->ta, &tx.to)) < 0) {
			rl_count(m, RL_C_TX_NO_CHANNEL, 1);
			continue;
		}
		len = cd_build(buf, sizeof(buf), (uint16_t)ch, buf + CD_HEADER_LEN, n, false);
		if (len > 0)
			rl_send(m, &r->server, buf, (size_t)len);
	}
	while (c->agent && ice_agent_event(c->agent, &ev))
		rl_agent_event(m, c, &ev);
}

/* An ICE message (a check for one of our local ufrags, or an answer to one of our checks). */
static bool to_agent(struct relay_mod *m, const struct ice_base *base, const struct stun_addr *from,
		     const uint8_t *d, size_t len, const struct stun_msg *msg)
{
	uint64_t now = m->api->now_ms(m->ctx);
	struct rl_conn *c = NULL;
	enum ice_input in = ICE_IN_NOT_OURS;
	const char *uf;
	size_t ul;

	if (msg->cls == STUN_REQUEST) {
		if (!ice_request_ufrag(msg, &uf, &ul))
			return false;
		while (in == ICE_IN_NOT_OURS && (c = rl_conn_by_ufrag(m, uf, ul, c)))
			if (c->agent)
				in = ice_agent_input(c->agent, base, from, d, len, now);
	} else if (msg->cls == STUN_SUCCESS || msg->cls == STUN_ERROR) {
		if ((c = rl_conn_by_tag(m, ice_tid_tag(msg->tid))) && c->agent)
			in = ice_agent_input(c->agent, base, from, d, len, now);
	}
	if (in == ICE_IN_NOT_OURS || !c)
		return false;
	rl_count(m, RL_C_CHECKS_RECEIVED, 1);
	rl_agent_flush(m, c);
	rl_schedule(m);
	return true;
}

void rl_on_stun(void *state, const struct fzgw_endpoint *from, const struct fzgw_endpoint *local,
		const uint8_t *data, size_t len)
{
	static const struct ice_base host = { ICE_BASE_HOST, 0 };
	struct relay_mod *m = state;
	struct stun_addr src;
	struct stun_msg msg;
	struct rl_relay *r;

	(void)local;
	rl_addr_of(&src, from);
	if (stun_parse(&msg, data, len) != STUN_OK) {
		rl_count(m, RL_C_STUN_MALFORMED, 1);
		return;
	}
	if ((r = rl_relay_by_server(m, &src)) && r->ta &&
	    turn_alloc_input(r->ta, &src, data, len, m->api->now_ms(m->ctx)) != TURN_IN_NOT_OURS) {
		rl_relay_flush(m, r);
		rl_schedule(m);
		return;
	}
	if (!to_agent(m, &host, &src, data, len, &msg))
		rl_count(m, RL_C_STUN_UNKNOWN, 1);
}

void rl_on_channeldata(void *state, const struct fzgw_endpoint *from,
		       const struct fzgw_endpoint *local, const uint8_t *data, size_t len)
{
	struct relay_mod *m = state;
	struct stun_addr src, peer;
	struct rl_relay *r;
	struct cd_frame f;

	(void)local;
	rl_addr_of(&src, from);
	if (!(r = rl_relay_by_server(m, &src)) || !r->ta) {
		rl_count(m, RL_C_CD_UNKNOWN_RELAY, 1);
		return;
	}
	if (cd_parse_datagram(data, len, &f) < 0) {
		rl_count(m, RL_C_CD_MALFORMED, 1);
		return;
	}
	if (!turn_alloc_peer_of(r->ta, f.channel, &peer)) {
		rl_count(m, RL_C_CD_UNKNOWN_CHANNEL, 1);
		return;
	}
	if (relay_classify(f.payload, f.len) == RELAY_CLASS_STUN) {
		struct ice_base base = { ICE_BASE_RELAY, r->slot };
		struct stun_msg msg;

		if (stun_parse(&msg, f.payload, f.len) != STUN_OK)
			rl_count(m, RL_C_STUN_MALFORMED, 1);
		else if (!to_agent(m, &base, &peer, f.payload, f.len, &msg))
			rl_count(m, RL_C_STUN_UNKNOWN, 1);
		return;
	}
	struct fzgw_path via = { .kind = FZGW_PATH_RELAY, .channel = f.channel };

	rl_ep_of(&via.remote, &src);
	rl_count(m, RL_C_RELAYED_IN, 1);
	m->api->udp_input(m->ctx, &via, f.payload, f.len);
}
