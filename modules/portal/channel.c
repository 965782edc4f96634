/* SPDX-License-Identifier: Apache-2.0 */
/* The Phoenix channel over one connection: refs, the join, heartbeats and the outgoing queue. */
#include "channel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "egress.h"

void pz_chan_init(struct pz_chan *ch, const struct pz_chan_ops *ops, void *user)
{
	memset(ch, 0, sizeof(*ch));
	ch->ops = ops;
	ch->user = user;
}

static void out_free(struct pz_out *o)
{
	free(o->event);
	free(o->payload);
	o->event = o->payload = NULL;
}

void pz_chan_fini(struct pz_chan *ch)
{
	for (unsigned i = 0; i < ch->n; i++)
		out_free(&ch->q[(ch->head + i) % PZ_QUEUE_MAX]);
	ch->n = 0;
}

/* Frames one message with the next ref and sends it. */
static int send_msg(struct pz_chan *ch, const char *topic, const char *event, const char *payload,
		    uint64_t *ref)
{
	char *text;
	int rc;

	if (!(text = pz_frame(topic, event, payload, ch->next_ref)))
		return -ENOMEM;
	if (ref)
		*ref = ch->next_ref;
	ch->next_ref++;
	rc = ch->ops->send(ch->user, text, strlen(text));
	free(text);
	return rc;
}

int pz_chan_join(struct pz_chan *ch)
{
	int rc = send_msg(ch, PZ_TOPIC, "phx_join", "null", &ch->join_ref);

	ch->join_pending = rc == 0;
	return rc;
}

int pz_chan_open(struct pz_chan *ch)
{
	ch->connected = true;
	ch->joined = false;
	ch->join_pending = false;
	ch->next_ref = 0;
	ch->n_hb = 0;
	return pz_chan_join(ch);
}

bool pz_chan_held(const char *event)
{
	return !strcmp(event, "broadcast_ice_candidates") ||
	       !strcmp(event, "broadcast_invalidated_ice_candidates");
}

/* Only the held events stay, in order. */
static void purge(struct pz_chan *ch)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ch->n; i++) {
		struct pz_out o = ch->q[(ch->head + i) % PZ_QUEUE_MAX];

		if (pz_chan_held(o.event))
			ch->q[(ch->head + n++) % PZ_QUEUE_MAX] = o;
		else
			out_free(&o);
	}
	ch->n = n;
}

void pz_chan_closed(struct pz_chan *ch)
{
	ch->connected = false;
	ch->joined = false;
	ch->join_pending = false;
	ch->n_hb = 0;
	purge(ch);
}

int pz_chan_push(struct pz_chan *ch, const char *event, const char *payload)
{
	struct pz_out *o;
	int dropped = 0;

	if (ch->joined)
		return send_msg(ch, PZ_TOPIC, event, payload, NULL);
	if (!ch->connected && !pz_chan_held(event))
		return 2; /* cannot be sent: dropped, as the original does */
	for (unsigned i = 0; i < ch->n; i++) {
		o = &ch->q[(ch->head + i) % PZ_QUEUE_MAX];
		if (!strcmp(o->event, event) && !strcmp(o->payload, payload))
			return 0; /* an exact duplicate is already waiting */
	}
	if (ch->n == PZ_QUEUE_MAX) {
		out_free(&ch->q[ch->head]);
		ch->head = (ch->head + 1) % PZ_QUEUE_MAX;
		ch->n--;
		ch->dropped++;
		dropped = 1;
	}
	o = &ch->q[(ch->head + ch->n) % PZ_QUEUE_MAX];
	o->event = strdup(event);
	o->payload = strdup(payload);
	if (!o->event || !o->payload) {
		out_free(o);
		return -ENOMEM;
	}
	ch->n++;
	return dropped;
}

int pz_chan_joined(struct pz_chan *ch, const char *event, const char *payload)
{
	int rc;

	ch->joined = true;
	if (event && (rc = send_msg(ch, PZ_TOPIC, event, payload, NULL)) < 0)
		return rc;
	while (ch->n) {
		struct pz_out *o = &ch->q[ch->head];

		rc = send_msg(ch, PZ_TOPIC, o->event, o->payload, NULL);
		out_free(o);
		ch->head = (ch->head + 1) % PZ_QUEUE_MAX;
		ch->n--;
		if (rc < 0)
			return rc;
	}
	return 0;
}

int pz_chan_heartbeat(struct pz_chan *ch)
{
	uint64_t ref;
	int rc;

	if (!ch->connected)
		return 0;
	if (ch->n_hb >= PZ_HEARTBEATS_MAX + 1)
		return -ETIMEDOUT;
	if ((rc = send_msg(ch, "phoenix", "heartbeat", "{}", &ref)) < 0)
		return rc;
	ch->hb_ref[ch->n_hb++] = ref;
	/* as the original: the check follows the send, so the 4th unanswered one ends it */
	return ch->n_hb > PZ_HEARTBEATS_MAX ? -ETIMEDOUT : 0;
}

enum pz_reply_kind pz_chan_reply(struct pz_chan *ch, const struct pz_msg *m)
{
	const struct pz_reply *r = &m->u.reply;

	if (!m->ref.present || !m->ref.numeric)
		return PZ_REPLY_IGNORED;
	if (ch->join_pending && m->ref.n == ch->join_ref && !strcmp(m->topic, PZ_TOPIC)) {
		if (!r->ok) {
			ch->join_pending = false;
			return PZ_REPLY_JOIN_FAILED;
		}
		if (r->empty) {
			ch->join_pending = false;
			return PZ_REPLY_JOINED;
		}
		return PZ_REPLY_IGNORED;
	}
	for (unsigned i = 0; i < ch->n_hb; i++) {
		if (ch->hb_ref[i] == m->ref.n) {
			ch->hb_ref[i] = ch->hb_ref[--ch->n_hb];
			return PZ_REPLY_HEARTBEAT;
		}
	}
	if (!r->ok && !strcmp(r->reason, "unmatched topic") && !strcmp(m->topic, PZ_TOPIC))
		return PZ_REPLY_REJOIN;
	return PZ_REPLY_IGNORED;
}
