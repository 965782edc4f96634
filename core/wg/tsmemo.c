/* SPDX-License-Identifier: Apache-2.0 */
/* Timestamps of removed peers: a hash table by public key and a list by removal time. */
#include <stdlib.h>
#include <string.h>

#include "tsmemo.h"

struct fzgw_wg_ts_entry {
	struct fzgw_wg_hnode node; /* first: the node is the entry */
	struct fzgw_wg_ts_entry *older, *newer;
	uint8_t pub[32];
	uint8_t ts[12];
};

int fzgw_wg_tsmemo_init(struct fzgw_wg_tsmemo *m, size_t max)
{
	memset(m, 0, sizeof(*m));
	m->max = max ? max : 1;
	return fzgw_wg_htable_init(&m->table, 64);
}

void fzgw_wg_tsmemo_destroy(struct fzgw_wg_tsmemo *m)
{
	struct fzgw_wg_ts_entry *e = m->oldest;

	while (e) {
		struct fzgw_wg_ts_entry *next = e->newer;

		free(e);
		e = next;
	}
	fzgw_wg_htable_destroy(&m->table);
	memset(m, 0, sizeof(*m));
}

static struct fzgw_wg_ts_entry *find(const struct fzgw_wg_tsmemo *m, uint64_t hash,
				     const uint8_t pub[32])
{
	if (!m->table.buckets)
		return NULL;
	for (struct fzgw_wg_hnode *n = fzgw_wg_htable_bucket(&m->table, hash); n; n = n->next) {
		struct fzgw_wg_ts_entry *e = (struct fzgw_wg_ts_entry *)n;

		if (n->hash == hash && !memcmp(e->pub, pub, sizeof(e->pub)))
			return e;
	}
	return NULL;
}

static void unlink_entry(struct fzgw_wg_tsmemo *m, struct fzgw_wg_ts_entry *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		m->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		m->newest = e->older;
	e->older = e->newer = NULL;
	fzgw_wg_htable_del(&m->table, &e->node);
}

static void link_newest(struct fzgw_wg_tsmemo *m, struct fzgw_wg_ts_entry *e, uint64_t hash)
{
	e->older = m->newest;
	e->newer = NULL;
	if (m->newest)
		m->newest->newer = e;
	else
		m->oldest = e;
	m->newest = e;
	fzgw_wg_htable_add(&m->table, &e->node, hash);
}

void fzgw_wg_tsmemo_put(struct fzgw_wg_tsmemo *m, uint64_t hash, const uint8_t pub[32],
			const uint8_t ts[12])
{
	struct fzgw_wg_ts_entry *e;

	if (!m->table.buckets)
		return;
	if ((e = find(m, hash, pub))) {
		unlink_entry(m, e);
		if (memcmp(ts, e->ts, sizeof(e->ts)) > 0)
			memcpy(e->ts, ts, sizeof(e->ts));
		link_newest(m, e, hash);
		return;
	}
	if (m->table.count >= m->max) {
		e = m->oldest; /* reused for the new key */
		unlink_entry(m, e);
		m->forgotten++;
	} else if (!(e = calloc(1, sizeof(*e)))) {
		return;
	}
	memcpy(e->pub, pub, sizeof(e->pub));
	memcpy(e->ts, ts, sizeof(e->ts));
	link_newest(m, e, hash);
}

bool fzgw_wg_tsmemo_take(struct fzgw_wg_tsmemo *m, uint64_t hash, const uint8_t pub[32],
			 uint8_t ts[12])
{
	struct fzgw_wg_ts_entry *e = find(m, hash, pub);

	if (!e)
		return false;
	unlink_entry(m, e);
	memcpy(ts, e->ts, sizeof(e->ts));
	free(e);
	return true;
}

size_t fzgw_wg_tsmemo_count(const struct fzgw_wg_tsmemo *m)
{
	return m->table.count;
}
