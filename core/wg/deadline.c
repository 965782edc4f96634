/* SPDX-License-Identifier: Apache-2.0 */
/* Min-heap of peers by earliest timer: a tick costs O(log n) per due peer, not a scan of all. */
#include <errno.h>
#include <stdlib.h>

#include "device.h"

#define HEAP_NONE ((size_t)-1)

static void heap_set(struct fzgw_wg *wg, size_t i, struct fzgw_wg_peer *p)
{
	wg->heap[i] = p;
	p->heap_pos = i;
}

static void sift_up(struct fzgw_wg *wg, size_t i)
{
	struct fzgw_wg_peer *p = wg->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (wg->heap[parent]->heap_key <= p->heap_key)
			break;
		heap_set(wg, i, wg->heap[parent]);
		i = parent;
	}
	heap_set(wg, i, p);
}

static void sift_down(struct fzgw_wg *wg, size_t i)
{
	struct fzgw_wg_peer *p = wg->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t key = p->heap_key;

		if (l < wg->heap_len && wg->heap[l]->heap_key < key) {
			m = l;
			key = wg->heap[l]->heap_key;
		}
		if (r < wg->heap_len && wg->heap[r]->heap_key < key)
			m = r;
		if (m == i)
			break;
		heap_set(wg, i, wg->heap[m]);
		i = m;
	}
	heap_set(wg, i, p);
}

int fzgw_wg_deadline_reserve(struct fzgw_wg *wg, size_t peers)
{
	struct fzgw_wg_peer **h;
	size_t cap;

	if (peers <= wg->heap_cap)
		return 0;
	cap = wg->heap_cap ? wg->heap_cap * 2 : 16;
	while (cap < peers)
		cap *= 2;
	h = realloc(wg->heap, cap * sizeof(*h));
	if (!h)
		return -ENOMEM;
	wg->heap = h;
	wg->heap_cap = cap;
	return 0;
}

void fzgw_wg_deadline_arm(struct fzgw_wg_peer *peer, uint64_t when)
{
	struct fzgw_wg *wg = peer->wg;

	if (peer->heap_pos == HEAP_NONE) {
		/* Room was reserved when the peer was added. */
		peer->heap_key = when;
		heap_set(wg, wg->heap_len++, peer);
		sift_up(wg, peer->heap_pos);
	} else if (when < peer->heap_key) {
		peer->heap_key = when;
		sift_up(wg, peer->heap_pos);
	}
	/* A later deadline needs nothing: the entry fires early and is then
	 * re-keyed to the peer's true earliest timer. */
}

void fzgw_wg_deadline_remove(struct fzgw_wg_peer *peer)
{
	struct fzgw_wg *wg = peer->wg;
	size_t i = peer->heap_pos;
	struct fzgw_wg_peer *last;

	if (i == HEAP_NONE)
		return;
	peer->heap_pos = HEAP_NONE;
	last = wg->heap[--wg->heap_len];
	if (last == peer)
		return;
	heap_set(wg, i, last);
	if (i > 0 && wg->heap[(i - 1) / 2]->heap_key > last->heap_key)
		sift_up(wg, i);
	else
		sift_down(wg, i);
}

static bool earliest_timer(const struct fzgw_wg_peer *peer, uint64_t *when)
{
	bool any = false;
	int t;

	for (t = 0; t < FZGW_WG_TIMER_COUNT; t++) {
		if (!fzgw_wg_timer_pending(peer, t))
			continue;
		if (!any || peer->timer_at[t] < *when)
			*when = peer->timer_at[t];
		any = true;
	}
	return any;
}

void fzgw_wg_deadline_run(struct fzgw_wg *wg, uint64_t now)
{
	struct fzgw_wg_peer *p;
	uint64_t when = 0;

	while (wg->heap_len && wg->heap[0]->heap_key <= now) {
		p = wg->heap[0];
		fzgw_wg_timers_expire(p, now);
		if (p->heap_pos == HEAP_NONE)
			continue;
		if (!earliest_timer(p, &when)) {
			fzgw_wg_deadline_remove(p);
			continue;
		}
		/* Every expiry re-arms strictly in the future, so this ends. */
		p->heap_key = when;
		sift_down(wg, p->heap_pos);
	}
}

uint64_t fzgw_wg_deadline_next(const struct fzgw_wg *wg)
{
	return wg->heap_len ? wg->heap[0]->heap_key : UINT64_MAX;
}
