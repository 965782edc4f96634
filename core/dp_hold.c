/* SPDX-License-Identifier: Apache-2.0 */
/* Packets the data plane keeps: staged while a client's handshake runs (capped for all clients
 * together, the oldest dropped), and the client reference every packet carries (a generation,
 * so a packet held across a client's removal never reaches the client that reuses its slot). */
#include <string.h>

#include "dp.h"

/* ------------------------------------------------------------ client references */

void dp_pkt_set_peer(struct fzgw_packet *pkt, struct fzgw_gw_peer *peer)
{
	struct fzgw_pool_meta *m = fzgw_pool_meta(pkt);

	pkt->peer = &peer->info;
	if (m) {
		m->peer_gen = peer->gen;
		m->peer_index = peer->info.index;
		m->peer_ptr = &peer->info;
	}
}

struct fzgw_gw_peer *dp_pkt_peer(struct fzgw_dataplane *dp, struct fzgw_packet *pkt)
{
	struct fzgw_pool_meta *m = fzgw_pool_meta(pkt);
	struct fzgw_gw_peer *peer;

	if (!pkt->peer)
		return NULL;
	/* the reference the core set: its generation says whether that client still exists,
	 * without reading what pkt->peer points to (freed, perhaps reused, when it does not) */
	if (m && m->peer_gen && pkt->peer == m->peer_ptr)
		return fzgw_peers_by_gen(&dp->peers, m->peer_index, m->peer_gen);
	/* a module set pkt->peer (from api->peer_by_client, valid while that client is): by id */
	if (!(peer = fzgw_peers_by_client(&dp->peers, pkt->peer->client_id)) || &peer->info != pkt->peer)
		return NULL;
	dp_pkt_set_peer(pkt, peer);
	return peer;
}

bool dp_pkt_peer_ok(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	return !pkt->peer || dp_pkt_peer(core->dp, pkt) != NULL;
}

/* ------------------------------------------------------------ staged packets */

uint32_t dp_staged_cap(const struct fzgw_dataplane *dp)
{
	uint32_t cap = fzgw_pool_count(dp->pool) / DP_STAGED_SHARE;

	return cap ? cap : 1;
}

static void unlink_staged(struct fzgw_dataplane *dp, struct fzgw_packet *pkt)
{
	struct fzgw_pool_meta *m = fzgw_pool_meta(pkt);

	if (m->prev)
		fzgw_pool_meta(m->prev)->next = m->next;
	else
		dp->staged_head = m->next;
	if (m->next)
		fzgw_pool_meta(m->next)->prev = m->prev;
	else
		dp->staged_tail = m->prev;
	m->prev = m->next = NULL;
	m->owner = NULL;
	dp->n_staged_all--;
}

/* Drops the oldest packet staged for any client. */
static void evict_oldest(struct fzgw_dataplane *dp)
{
	struct fzgw_packet *pkt = dp->staged_head;
	struct fzgw_gw_peer *peer = fzgw_pool_meta(pkt)->owner;

	for (uint8_t i = 0; i < peer->n_staged; i++)
		if (peer->staged[i] == pkt) {
			memmove(&peer->staged[i], &peer->staged[i + 1],
				sizeof(peer->staged[0]) * (size_t)(peer->n_staged - i - 1));
			peer->n_staged--;
			break;
		}
	unlink_staged(dp, pkt);
	dp_drop(dp, pkt, "tx-staged-evicted");
}

void dp_stage(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, struct fzgw_packet *pkt)
{
	struct fzgw_pool_meta *m = fzgw_pool_meta(pkt);

	if (peer->n_staged >= FZGW_PEER_STAGED || !m) {
		dp_drop(dp, pkt, "tx-staged-full");
		return;
	}
	while (dp->n_staged_all >= dp_staged_cap(dp) && dp->staged_head)
		evict_oldest(dp);
	peer->staged[peer->n_staged++] = pkt;
	m->owner = peer;
	m->next = NULL;
	m->prev = dp->staged_tail;
	if (dp->staged_tail)
		fzgw_pool_meta(dp->staged_tail)->next = pkt;
	else
		dp->staged_head = pkt;
	dp->staged_tail = pkt;
	dp->n_staged_all++;
}

uint8_t dp_staged_take(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer,
		       struct fzgw_packet *out[FZGW_PEER_STAGED])
{
	uint8_t n = peer->n_staged;

	for (uint8_t i = 0; i < n; i++) {
		out[i] = peer->staged[i];
		unlink_staged(dp, out[i]);
	}
	peer->n_staged = 0;
	return n;
}

void dp_staged_drop(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer, const char *why)
{
	struct fzgw_packet *pkts[FZGW_PEER_STAGED];
	uint8_t n = dp_staged_take(dp, peer, pkts);

	for (uint8_t i = 0; i < n; i++)
		dp_drop(dp, pkts[i], why);
}
