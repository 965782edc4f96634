/* SPDX-License-Identifier: Apache-2.0 */
/* Hook chains: per phase, hooks sorted by (priority, config order), with verdict counters. */
#include "chain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "log.h"

static const char *const phase_names[FZGW_PHASE_COUNT] = {
	"in-parse", "in-filter", "in-nat", "out-parse", "out-nat", "out-filter",
};

const char *fzgw_phase_name(int phase)
{
	return phase >= 0 && phase < FZGW_PHASE_COUNT ? phase_names[phase] : "?";
}

const char *fzgw_verdict_name(int verdict)
{
	static const char *const n[] = { "continue", "accept", "drop", "stolen" };

	return verdict >= 0 && verdict < 4 ? n[verdict] : "?";
}

static int entry_cmp(const void *a, const void *b)
{
	const struct fzgw_chain_entry *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->index - y->index;
}

static const struct fzgw_chain_entry *find_old(const struct fzgw_chain *old, const struct fzgw_ctx *ctx,
					       int index)
{
	for (int i = 0; i < old->n; i++)
		if (old->e[i].ctx == ctx && old->e[i].index == index)
			return &old->e[i];
	return NULL;
}

int fzgw_chains_build(struct fzgw_chains *ch, struct fzgw_ctx *const *ctxs, int n)
{
	struct fzgw_chains *next = calloc(1, sizeof(*next));

	if (!next)
		return -ENOMEM;
	for (int m = 0; m < n; m++) {
		const struct fzgw_ctx *ctx = ctxs[m];

		if (!ctx->live || !ctx->desc)
			continue;
		for (int h = 0; h < FZGW_MAX_HOOKS && ctx->desc->hooks[h].fn; h++) {
			const struct fzgw_hook *hk = &ctx->desc->hooks[h];
			struct fzgw_chain *c = &next->phase[hk->phase];
			struct fzgw_chain_entry *e;
			const struct fzgw_chain_entry *old;

			if (c->n == FZGW_CHAIN_MAX) {
				free(next);
				return -E2BIG;
			}
			e = &c->e[c->n++];
			old = find_old(&ch->phase[hk->phase], ctx, h);
			if (old)
				*e = *old;
			e->fn = hk->fn;
			e->state = ctx->state;
			e->ctx = (struct fzgw_ctx *)ctx;
			e->name = hk->name ? hk->name : "hook";
			e->priority = ctx->has_priority ? ctx->priority : hk->priority;
			e->order = ctx->order;
			e->index = h;
		}
	}
	for (int p = 0; p < FZGW_PHASE_COUNT; p++)
		qsort(next->phase[p].e, (size_t)next->phase[p].n, sizeof(next->phase[p].e[0]), entry_cmp);
	*ch = *next;
	free(next);
	return 0;
}

static void count_drop(struct fzgw_chain_entry *e, const char *reason)
{
	if (!reason)
		reason = "unspecified";
	for (int i = 0; i < FZGW_CHAIN_REASONS; i++) {
		/* reasons are static strings: compare pointers first, text second */
		if (e->drops[i].reason == reason ||
		    (e->drops[i].reason && !strcmp(e->drops[i].reason, reason))) {
			e->drops[i].n++;
			return;
		}
		if (!e->drops[i].reason) {
			e->drops[i].reason = reason;
			e->drops[i].n = 1;
			return;
		}
	}
	e->drops_other++;
}

static bool is_filter(int phase)
{
	return phase == FZGW_PHASE_IN_FILTER || phase == FZGW_PHASE_OUT_FILTER;
}

enum fzgw_verdict fzgw_chain_run(struct fzgw_chain *c, int phase, struct fzgw_packet *pkt, int start)
{
	for (int i = start; i < c->n; i++) {
		struct fzgw_chain_entry *e = &c->e[i];
		enum fzgw_verdict v;

		pkt->phase = (uint8_t)phase;
		pkt->hook = (uint16_t)i;
		v = e->fn(e->state, pkt);
		if ((unsigned)v > FZGW_STOLEN) {
			/* a broken module must not take the gateway down: treat as a drop */
			pkt->drop_reason = "bad-verdict";
			v = FZGW_DROP;
		}
		e->verdicts[v]++;
		switch (v) {
		case FZGW_CONTINUE:
			continue;
		case FZGW_ACCEPT:
			return FZGW_ACCEPT;
		case FZGW_DROP:
			count_drop(e, pkt->drop_reason);
			return FZGW_DROP;
		case FZGW_STOLEN:
			return FZGW_STOLEN;
		}
	}
	if (is_filter(phase)) {
		pkt->drop_reason = FZGW_REASON_NO_ACCEPT;
		return FZGW_DROP;
	}
	return FZGW_ACCEPT;
}

void fzgw_chains_print(const struct fzgw_chains *ch, FILE *f)
{
	for (int p = 0; p < FZGW_PHASE_COUNT; p++) {
		const struct fzgw_chain *c = &ch->phase[p];

		fprintf(f, "  %-10s:", fzgw_phase_name(p));
		if (!c->n)
			fprintf(f, " (empty)%s", is_filter(p) ? " -> everything dropped (default deny)" : "");
		for (int i = 0; i < c->n; i++)
			fprintf(f, "%s [%d] %s/%s", i ? " ->" : "", c->e[i].priority, c->e[i].ctx->name,
				c->e[i].name);
		if (c->n && is_filter(p))
			fprintf(f, " -> deny");
		fputc('\n', f);
	}
}

void fzgw_chains_log(const struct fzgw_chains *ch)
{
	for (int p = 0; p < FZGW_PHASE_COUNT; p++) {
		const struct fzgw_chain *c = &ch->phase[p];
		char line[512];
		size_t used = 0;

		line[0] = '\0';
		for (int i = 0; i < c->n && used < sizeof(line); i++) {
			int w = snprintf(line + used, sizeof(line) - used, "%s[%d] %s/%s", i ? " -> " : "",
					 c->e[i].priority, c->e[i].ctx->name, c->e[i].name);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		fzgw_info("chain %s: %s%s", fzgw_phase_name(p), c->n ? line : "(empty)",
			  is_filter(p) ? " -> deny" : "");
	}
}

void fzgw_chains_dump_stats(const struct fzgw_chains *ch)
{
	for (int p = 0; p < FZGW_PHASE_COUNT; p++) {
		const struct fzgw_chain *c = &ch->phase[p];

		for (int i = 0; i < c->n; i++) {
			const struct fzgw_chain_entry *e = &c->e[i];

			fzgw_info("stats %s %s/%s: continue=%llu accept=%llu drop=%llu stolen=%llu",
				  fzgw_phase_name(p), e->ctx->name, e->name,
				  (unsigned long long)e->verdicts[0], (unsigned long long)e->verdicts[1],
				  (unsigned long long)e->verdicts[2], (unsigned long long)e->verdicts[3]);
			for (int r = 0; r < FZGW_CHAIN_REASONS && e->drops[r].reason; r++)
				fzgw_info("stats %s %s/%s: drop.%s=%llu", fzgw_phase_name(p), e->ctx->name,
					  e->name, e->drops[r].reason, (unsigned long long)e->drops[r].n);
		}
	}
}
