/* SPDX-License-Identifier: Apache-2.0 */
/* Example third-party filter module: a per-client bandwidth limit (token bucket per
 * client and direction) that drops or delays what is over it. Built out of tree against
 * the installed <fzgw/module.h> only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <fzgw/module.h>

#define RL_MAX_CLIENTS 65536
#define RL_QUEUE_MIN 16 /* first ring size of a delaying bucket */

struct rl_conf {
	int64_t rate_kbit; /* sustained rate per client and direction, kbit/s */
	int64_t burst_kb;  /* bucket depth, KiB */
	int64_t queue;     /* delay mode: packets held per client and direction */
	char direction[8]; /* "both", "in" (client -> site) or "out" (site -> client) */
	char mode[8];      /* "drop" or "delay" */
};

static const struct fzgw_key rl_keys[] = {
	{ "rate", FZGW_KEY_INT, true, offsetof(struct rl_conf, rate_kbit), 0, 8, 100000000 },
	{ "burst", FZGW_KEY_INT, false, offsetof(struct rl_conf, burst_kb), 0, 1, 1048576 },
	{ "direction", FZGW_KEY_STRING, false, offsetof(struct rl_conf, direction), 8, 0, 0 },
	{ "mode", FZGW_KEY_STRING, false, offsetof(struct rl_conf, mode), 8, 0, 0 },
	{ "queue", FZGW_KEY_INT, false, offsetof(struct rl_conf, queue), 0, 1, 65536 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

struct bucket {
	char client_id[40]; /* the index is reused after a peer goes: re-key on change */
	double tokens;      /* bytes; below zero after a packet larger than what was left */
	uint64_t last_ms;
	/* delay mode: the packets waiting for tokens, oldest at head (a ring) */
	struct fzgw_packet **q;
	uint32_t qcap, qhead, qlen;
	bool waiting; /* listed in rl->waiting */
};

enum { C_PASSED, C_LIMITED, C_DELAYED, C_REINJECTED, C_QUEUE_FULL, C_COUNT };

static const char *const counter_names[C_COUNT] = {
	"passed", "rate-limited", "delayed", "reinjected", "queue-full",
};

struct rl {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	struct rl_conf conf;
	double rate_bpms; /* bytes per ms */
	double depth;     /* bytes */
	bool in, out, delay;
	int c[C_COUNT];
	uint32_t n[2];
	struct bucket *b[2]; /* [FZGW_DIR_IN], [FZGW_DIR_OUT], indexed by peer index */
	/* buckets with packets held, as (dir << 31 | index), and the timer that drains them */
	uint32_t *waiting;
	uint32_t n_waiting, cap_waiting;
	struct fzgw_timer *timer;
};

static int rl_check(struct rl_conf *c, struct fzgw_ctx *ctx, const struct fzgw_api *api,
		    const struct fzgw_settings *s)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->direction, "both");
	strcpy(c->mode, "drop");
	c->queue = 256;
	if (api->settings_parse(ctx, s, rl_keys, c) < 0)
		return -EINVAL;
	if (strcmp(c->direction, "both") && strcmp(c->direction, "in") &&
	    strcmp(c->direction, "out"))
		return api->settings_error(ctx, api->settings_child(s, "direction"),
					   "unknown direction \"%s\" (both, in, out)",
					   c->direction);
	if (strcmp(c->mode, "drop") && strcmp(c->mode, "delay"))
		return api->settings_error(ctx, api->settings_child(s, "mode"),
					   "unknown mode \"%s\" (drop, delay)", c->mode);
	if (!c->burst_kb) /* default: 100 ms worth of traffic, at least 16 KiB */
		c->burst_kb = c->rate_kbit / 80 > 16 ? c->rate_kbit / 80 : 16;
	return 0;
}

static void rl_apply(struct rl *rl, const struct rl_conf *c)
{
	rl->conf = *c;
	rl->rate_bpms = (double)c->rate_kbit * 1000.0 / 8.0 / 1000.0;
	rl->depth = (double)c->burst_kb * 1024.0;
	rl->in = strcmp(c->direction, "out") != 0;
	rl->out = strcmp(c->direction, "in") != 0;
	rl->delay = !strcmp(c->mode, "delay");
}

static void count(struct rl *rl, int which)
{
	rl->api->counter_add(rl->ctx, rl->c[which], 1);
}

/* Frees every packet @b holds (its client went, or the module does); counted by the core. */
static void flush(struct rl *rl, struct bucket *b)
{
	while (b->qlen) {
		rl->api->pkt_free(rl->ctx, b->q[b->qhead], "rate-limit-flushed");
		b->qhead = (b->qhead + 1) % b->qcap;
		b->qlen--;
	}
}

static void refill(struct rl *rl, struct bucket *b, uint64_t now)
{
	if (now > b->last_ms) {
		b->tokens += (double)(now - b->last_ms) * rl->rate_bpms;
		b->last_ms = now;
	}
	if (b->tokens > rl->depth)
		b->tokens = rl->depth; /* also when the depth went down on reload */
}

/*
 * The tokens a packet needs before it may go: its size, or the whole depth when it is
 * larger than the bucket (a small burst must not block big packets for ever). Tokens then
 * go below zero and the debt is paid before the next packet: the long-run rate holds.
 */
static double needed(const struct rl *rl, uint32_t len)
{
	return (double)len < rl->depth ? (double)len : rl->depth;
}

static bool affordable(const struct rl *rl, const struct bucket *b, uint32_t len)
{
	return b->tokens >= needed(rl, len);
}

static struct bucket *bucket_of(struct rl *rl, int dir, const struct fzgw_peer_info *peer)
{
	struct bucket *b;

	if (peer->index >= RL_MAX_CLIENTS)
		return NULL;
	if (peer->index >= rl->n[dir]) {
		uint32_t n = rl->n[dir] ? rl->n[dir] : 64;
		struct bucket *nb;

		while (n <= peer->index)
			n *= 2;
		if (!(nb = realloc(rl->b[dir], sizeof(*nb) * n)))
			return NULL;
		memset(nb + rl->n[dir], 0, sizeof(*nb) * (n - rl->n[dir]));
		rl->b[dir] = nb;
		rl->n[dir] = n;
	}
	b = &rl->b[dir][peer->index];
	if (strncmp(b->client_id, peer->client_id, sizeof(b->client_id))) {
		flush(rl, b); /* an earlier client's packets: it is gone */
		memcpy(b->client_id, peer->client_id, sizeof(b->client_id));
		b->tokens = rl->depth;
		b->last_ms = rl->api->now_ms(rl->ctx);
	}
	return b;
}

static void drain_later(struct rl *rl);

/* Holds @pkt at the tail of @b's queue; false when the queue is full (or no memory). */
static bool hold(struct rl *rl, int dir, struct bucket *b, struct fzgw_packet *pkt)
{
	uint32_t idx = (uint32_t)(b - rl->b[dir]);

	if (b->qlen >= (uint32_t)rl->conf.queue)
		return false;
	if (b->qlen == b->qcap) {
		uint32_t cap = b->qcap ? b->qcap * 2 : RL_QUEUE_MIN;
		struct fzgw_packet **q = malloc(sizeof(*q) * cap);

		if (!q)
			return false;
		for (uint32_t i = 0; i < b->qlen; i++)
			q[i] = b->q[(b->qhead + i) % b->qcap];
		free(b->q);
		b->q = q;
		b->qcap = cap;
		b->qhead = 0;
	}
	if (!b->waiting) {
		if (rl->n_waiting == rl->cap_waiting) {
			uint32_t cap = rl->cap_waiting ? rl->cap_waiting * 2 : 16;
			uint32_t *w = realloc(rl->waiting, sizeof(*w) * cap);

			if (!w)
				return false;
			rl->waiting = w;
			rl->cap_waiting = cap;
		}
		rl->waiting[rl->n_waiting++] = (uint32_t)dir << 31 | idx;
		b->waiting = true;
	}
	b->q[(b->qhead + b->qlen) % b->qcap] = pkt;
	b->qlen++;
	drain_later(rl);
	return true;
}

static enum fzgw_verdict limit(struct rl *rl, int dir, struct fzgw_packet *pkt)
{
	struct bucket *b;

	if (!pkt->peer || !(b = bucket_of(rl, dir, pkt->peer)))
		return FZGW_CONTINUE;
	refill(rl, b, rl->api->now_ms(rl->ctx));
	/* packets already waiting go first: nothing overtakes them */
	if (!b->qlen && affordable(rl, b, pkt->len)) {
		b->tokens -= pkt->len;
		count(rl, C_PASSED);
		/* CONTINUE, never ACCEPT: the policy module still decides whether it may pass */
		return FZGW_CONTINUE;
	}
	if (!rl->delay) {
		count(rl, C_LIMITED);
		pkt->drop_reason = "rate-limited";
		return FZGW_DROP;
	}
	if (!hold(rl, dir, b, pkt)) {
		count(rl, C_QUEUE_FULL);
		pkt->drop_reason = "rate-limit-queue-full";
		return FZGW_DROP;
	}
	count(rl, C_DELAYED);
	return FZGW_STOLEN;
}

/* Reinjects what the tokens now cover, oldest first; the ms until @b's head can go, or 0. */
static uint32_t drain_bucket(struct rl *rl, int dir, uint32_t idx, uint64_t now)
{
	struct bucket *b = &rl->b[dir][idx];

	refill(rl, b, now);
	while (b->qlen) {
		struct fzgw_packet *pkt = b->q[b->qhead];

		if (!affordable(rl, b, pkt->len))
			return (uint32_t)((needed(rl, pkt->len) - b->tokens) / rl->rate_bpms) + 1;
		b->tokens -= pkt->len;
		b->qhead = (b->qhead + 1) % b->qcap;
		b->qlen--;
		count(rl, C_REINJECTED);
		/* the packet goes on with the hook after ours; nothing there reaches this bucket */
		rl->api->pkt_reinject(rl->ctx, pkt);
		b = &rl->b[dir][idx];
	}
	return 0;
}

static void on_timer(void *arg)
{
	struct rl *rl = arg;
	uint64_t now = rl->api->now_ms(rl->ctx);
	uint32_t next = 0, kept = 0;

	rl->timer = NULL; /* one-shot: the core frees it */
	for (uint32_t i = 0; i < rl->n_waiting; i++) {
		uint32_t dir = rl->waiting[i] >> 31, idx = rl->waiting[i] & 0x7fffffffu;
		uint32_t wait = drain_bucket(rl, (int)dir, idx, now);

		if (!wait) {
			rl->b[dir][idx].waiting = false;
			continue;
		}
		rl->waiting[kept++] = rl->waiting[i];
		if (!next || wait < next)
			next = wait;
	}
	rl->n_waiting = kept;
	if (!kept || rl->timer)
		return;
	if (!(rl->timer = rl->api->timer_add(rl->ctx, next, false, on_timer, rl)))
		rl->api->log(rl->ctx, FZGW_LOG_ERROR, "cannot add a timer: held packets are stuck");
}

/* A 1 ms timer when none is pending: it then sleeps exactly as long as the tokens need. */
static void drain_later(struct rl *rl)
{
	if (rl->timer)
		return;
	if (!(rl->timer = rl->api->timer_add(rl->ctx, 1, false, on_timer, rl)))
		rl->api->log(rl->ctx, FZGW_LOG_ERROR, "cannot add a timer: held packets are stuck");
}

static enum fzgw_verdict rl_in(void *state, struct fzgw_packet *pkt)
{
	struct rl *rl = state;

	return rl->in ? limit(rl, FZGW_DIR_IN, pkt) : FZGW_CONTINUE;
}

static enum fzgw_verdict rl_out(void *state, struct fzgw_packet *pkt)
{
	struct rl *rl = state;

	return rl->out ? limit(rl, FZGW_DIR_OUT, pkt) : FZGW_CONTINUE;
}

/* The client's tunnel is gone: so is what we held for it. */
static void rl_on_peer_removed(void *state, const struct fzgw_event *ev)
{
	const struct fzgw_ev_peer *e = ev->data;
	struct rl *rl = state;

	if (!e || ev->size < sizeof(*e))
		return;
	for (int dir = 0; dir < 2; dir++)
		for (uint32_t i = 0; i < rl->n[dir]; i++)
			if (!strncmp(rl->b[dir][i].client_id, e->client_id, sizeof(e->client_id)))
				flush(rl, &rl->b[dir][i]);
}

static int rl_init(struct fzgw_ctx *ctx, const struct fzgw_api *api, const struct fzgw_settings *s,
		   void **state)
{
	struct rl_conf c;
	struct rl *rl;
	int rc;

	if ((rc = rl_check(&c, ctx, api, s)) < 0)
		return rc;
	if (!(rl = calloc(1, sizeof(*rl))))
		return -ENOMEM;
	rl->ctx = ctx;
	rl->api = api;
	rl_apply(rl, &c);
	for (int i = 0; i < C_COUNT; i++)
		rl->c[i] = api->counter_register(ctx, counter_names[i]);
	if (!strcmp(c.mode, "delay"))
		api->log(ctx, FZGW_LOG_INFO,
			 "limiting each client to %lld kbit/s per direction (%s), burst %lld KiB, "
			 "delaying up to %lld packets",
			 (long long)c.rate_kbit, c.direction, (long long)c.burst_kb,
			 (long long)c.queue);
	else
		api->log(ctx, FZGW_LOG_INFO,
			 "limiting each client to %lld kbit/s per direction (%s), burst %lld KiB",
			 (long long)c.rate_kbit, c.direction, (long long)c.burst_kb);
	*state = rl;
	return 0;
}

/* New settings apply at once; packets already held drain at the new rate. */
static int rl_reload(void *state, const struct fzgw_settings *s)
{
	struct rl *rl = state;
	struct rl_conf c;
	int rc;

	if ((rc = rl_check(&c, rl->ctx, rl->api, s)) < 0)
		return rc;
	rl_apply(rl, &c);
	return 0;
}

/* The core has removed the timer already; held packets are freed, not sent. */
static void rl_fini(void *state)
{
	struct rl *rl = state;

	if (!rl)
		return;
	for (int dir = 0; dir < 2; dir++) {
		for (uint32_t i = 0; i < rl->n[dir]; i++) {
			flush(rl, &rl->b[dir][i]);
			free(rl->b[dir][i].q);
		}
		free(rl->b[dir]);
	}
	free(rl->waiting);
	free(rl);
}

FZGW_MODULE_DEFINE = {
	FZGW_MODULE_HEADER,
	.name = "ratelimit",
	.version = "1.1",
	.init = rl_init,
	.reload = rl_reload,
	.fini = rl_fini,
	.hooks = {
		/* before the policy (100): a limited packet never costs a classification */
		{ FZGW_PHASE_IN_FILTER, 50, rl_in, "bandwidth-in", NULL },
		{ FZGW_PHASE_OUT_FILTER, 50, rl_out, "bandwidth-out", NULL },
	},
	.subs = {
		{ FZGW_EV_PEER_REMOVED, rl_on_peer_removed },
	},
};
