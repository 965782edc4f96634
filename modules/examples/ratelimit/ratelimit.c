/* SPDX-License-Identifier: Apache-2.0 */
/* Example third-party filter module: a per-client bandwidth limit (token bucket per
 * client and direction). Built out of tree against the installed <fzgw/module.h> only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <fzgw/module.h>

#define RL_MAX_CLIENTS 65536

struct rl_conf {
	int64_t rate_kbit; /* sustained rate per client and direction, kbit/s */
	int64_t burst_kb;  /* bucket depth, KiB */
	char direction[8]; /* "both", "in" (client -> site) or "out" (site -> client) */
};

static const struct fzgw_key rl_keys[] = {
	{ "rate", FZGW_KEY_INT, true, offsetof(struct rl_conf, rate_kbit), 0, 8, 100000000 },
	{ "burst", FZGW_KEY_INT, false, offsetof(struct rl_conf, burst_kb), 0, 1, 1048576 },
	{ "direction", FZGW_KEY_STRING, false, offsetof(struct rl_conf, direction), 8, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

struct bucket {
	char client_id[40]; /* the index is reused after a peer goes: re-key on change */
	double tokens;      /* bytes */
	uint64_t last_ms;
};

struct rl {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	struct rl_conf conf;
	double rate_bps; /* bytes per ms, really: see refill() */
	double depth;    /* bytes */
	bool in, out;
	int c_passed, c_limited;
	uint32_t n[2];
	struct bucket *b[2]; /* [FZGW_DIR_IN], [FZGW_DIR_OUT], indexed by peer index */
};

static int rl_check(struct rl_conf *c, struct fzgw_ctx *ctx, const struct fzgw_api *api,
		    const struct fzgw_settings *s)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->direction, "both");
	if (api->settings_parse(ctx, s, rl_keys, c) < 0)
		return -EINVAL;
	if (strcmp(c->direction, "both") && strcmp(c->direction, "in") && strcmp(c->direction, "out"))
		return api->settings_error(ctx, api->settings_child(s, "direction"),
					   "unknown direction \"%s\" (both, in, out)", c->direction);
	if (!c->burst_kb) /* default: 100 ms worth of traffic, at least 16 KiB */
		c->burst_kb = c->rate_kbit / 80 > 16 ? c->rate_kbit / 80 : 16;
	return 0;
}

static void rl_apply(struct rl *rl, const struct rl_conf *c)
{
	rl->conf = *c;
	rl->rate_bps = (double)c->rate_kbit * 1000.0 / 8.0 / 1000.0; /* bytes per ms */
	rl->depth = (double)c->burst_kb * 1024.0;
	rl->in = strcmp(c->direction, "out") != 0;
	rl->out = strcmp(c->direction, "in") != 0;
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
	if (strcmp(b->client_id, peer->client_id)) {
		memcpy(b->client_id, peer->client_id, sizeof(b->client_id));
		b->tokens = rl->depth;
		b->last_ms = rl->api->now_ms(rl->ctx);
	}
	return b;
}

static enum fzgw_verdict limit(struct rl *rl, int dir, struct fzgw_packet *pkt)
{
	struct bucket *b;
	uint64_t now;

	if (!pkt->peer || !(b = bucket_of(rl, dir, pkt->peer)))
		return FZGW_CONTINUE;
	now = rl->api->now_ms(rl->ctx);
	b->tokens += (double)(now - b->last_ms) * rl->rate_bps;
	if (b->tokens > rl->depth)
		b->tokens = rl->depth;
	b->last_ms = now;
	if (b->tokens < pkt->len) {
		rl->api->counter_add(rl->ctx, rl->c_limited, 1);
		pkt->drop_reason = "rate-limited";
		return FZGW_DROP;
	}
	b->tokens -= pkt->len;
	rl->api->counter_add(rl->ctx, rl->c_passed, 1);
	/* CONTINUE, never ACCEPT: the policy module still decides whether it may pass */
	return FZGW_CONTINUE;
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
	rl->c_passed = api->counter_register(ctx, "passed");
	rl->c_limited = api->counter_register(ctx, "rate-limited");
	api->log(ctx, FZGW_LOG_INFO, "limiting each client to %lld kbit/s per direction (%s), burst %lld KiB",
		 (long long)c.rate_kbit, c.direction, (long long)c.burst_kb);
	*state = rl;
	return 0;
}

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

static void rl_fini(void *state)
{
	struct rl *rl = state;

	free(rl->b[0]);
	free(rl->b[1]);
	free(rl);
}

FZGW_MODULE_DEFINE = {
	FZGW_MODULE_HEADER,
	.name = "ratelimit",
	.version = "1.0",
	.init = rl_init,
	.reload = rl_reload,
	.fini = rl_fini,
	.hooks = {
		/* before the policy (100): a limited packet never costs a classification */
		{ FZGW_PHASE_IN_FILTER, 50, rl_in, "bandwidth-in" },
		{ FZGW_PHASE_OUT_FILTER, 50, rl_out, "bandwidth-out" },
	},
};
