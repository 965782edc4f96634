/* SPDX-License-Identifier: Apache-2.0 */
/* The ICE agent's choice of path and its failure: the best nominated pair that answers (unless
 * the client nominated another since and it stopped answering), else
 * (after a first path) the best succeeded pair that answers; failure without candidates or
 * without pairs. */
#include <string.h>

#include "ice_priv.h"

static bool answering(const struct ice_agent *a, const struct ice_pair *p, uint64_t now)
{
	return p->state == ICE_P_SUCCEEDED &&
	       !(p->unans && now - p->unans_since > a->t.max_rto / 2);
}

/* A nominated pair the client has moved away from: a newer nomination exists and this pair's
 * check has gone unanswered for ICE_RENOMINATION_WAIT_MS. */
static bool superseded(const struct ice_pair *p, uint64_t latest, uint64_t now)
{
	return p->nom_seq < latest && p->unans && now - p->unans_since >= ICE_RENOMINATION_WAIT_MS;
}

/* The nomination count of the newest nominated pair that answers, 0: none. */
static uint64_t latest_nomination(const struct ice_agent *a, uint64_t now)
{
	uint64_t latest = 0;
	unsigned i;

	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		const struct ice_pair *p = &a->pairs[i];

		if (ice_pair_used(p) && p->nom == ICE_NOM_YES && answering(a, p, now) &&
		    p->nom_seq > latest)
			latest = p->nom_seq;
	}
	return latest;
}

static int best_pair(const struct ice_agent *a, bool nominated, uint64_t now)
{
	uint64_t latest = nominated ? latest_nomination(a, now) : 0;
	int best = -1;
	unsigned i;

	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		const struct ice_pair *p = &a->pairs[i];

		if (!ice_pair_used(p) || (nominated && p->nom != ICE_NOM_YES) || !answering(a, p, now))
			continue;
		if (nominated && superseded(p, latest, now))
			continue;
		if (best < 0 || p->prio > a->pairs[best].prio)
			best = (int)i;
	}
	return best;
}

static void fill(const struct ice_agent *a, int pi, struct ice_event *ev)
{
	const struct ice_pair *p = &a->pairs[pi];
	const struct ice_local *l = &a->local[p->local];
	const struct ice_remote *r = &a->remote[p->remote];

	ev->base = l->base;
	ev->local_type = l->c.type;
	ev->local = l->c.addr;
	ev->remote_type = r->c.type;
	ev->remote = r->c.addr;
}

static void fail(struct ice_agent *a, const char *why)
{
	struct ice_event ev = { .type = ICE_EV_FAILED, .why = why };

	a->failed = true;
	a->selected = -1;
	a->tx_len = 0;
	ice_emit(a, &ev);
}

static void select_path(struct ice_agent *a, uint64_t now)
{
	struct ice_event ev;
	int best = best_pair(a, true, now);
	uint32_t id;

	if (best < 0 && a->had_path)
		best = best_pair(a, false, now);
	if (best < 0)
		best = a->selected; /* nothing better: the pair in use stays while it exists */
	a->selected = best;
	id = best >= 0 ? a->pairs[best].id : 0;
	if (id == a->selected_id)
		return;
	a->selected_id = id;
	memset(&ev, 0, sizeof(ev));
	if (best < 0) {
		ev.type = ICE_EV_PATH_LOST;
		ev.why = "the pair in use failed or was withdrawn";
	} else {
		ev.type = a->had_path ? ICE_EV_PATH_CHANGED : ICE_EV_NOMINATED;
		ev.why = a->had_path ? "another pair took over" : "nominated by the client";
		fill(a, best, &ev);
		a->had_path = true;
	}
	ice_emit(a, &ev);
}

/* The ICE state after any change: the path, then whether anything is left to try. Without a
 * remote candidate (withdrawn ones count) or a pairable local candidate the agent still waits
 * (up to 10 s after creation for the first remote one); with both and no pair left it fails 2 s
 * later unless a pair comes back. */
void ice_evaluate(struct ice_agent *a, uint64_t now)
{
	bool have_local = false, have_remote = false;
	unsigned i;

	if (a->failed)
		return;
	if (now > a->now)
		a->now = now;
	select_path(a, now);
	if (!a->had_remote && now - a->created >= ICE_CANDIDATE_TIMEOUT_MS) {
		fail(a, "no candidates received");
		return;
	}
	for (i = 0; i < ICE_MAX_REMOTE; i++) /* withdrawn ones count: they were tried */
		have_remote |= a->remote[i].used;
	for (i = 0; i < ICE_MAX_LOCAL; i++)
		have_local |= a->local[i].used &&
			      (a->local[i].c.type == ICE_HOST || a->local[i].c.type == ICE_RELAY);
	if (a->n_pairs || !have_local || !have_remote) {
		a->disconnected = false;
		return;
	}
	if (!a->disconnected) {
		a->disconnected = true;
		a->disconnected_at = now;
	} else if (now - a->disconnected_at >= ICE_DISCONNECT_GRACE_MS) {
		fail(a, "no candidate pair left");
	}
}

uint64_t ice_select_deadline(const struct ice_agent *a)
{
	uint64_t d = UINT64_MAX;
	unsigned i;

	if (!a->had_remote)
		d = a->created + ICE_CANDIDATE_TIMEOUT_MS;
	if (a->disconnected && a->disconnected_at + ICE_DISCONNECT_GRACE_MS < d)
		d = a->disconnected_at + ICE_DISCONNECT_GRACE_MS;
	for (i = 0; i < ICE_MAX_PAIRS; i++) { /* when a pair in use may become superseded */
		const struct ice_pair *p = &a->pairs[i];
		uint64_t at = p->unans_since + ICE_RENOMINATION_WAIT_MS;

		if (ice_pair_used(p) && p->nom == ICE_NOM_YES && p->unans &&
		    p->nom_seq < a->nom_seq && at > a->now && at < d)
			d = at;
	}
	return d;
}
