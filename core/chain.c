/* SPDX-License-Identifier: Apache-2.0 */
/* Hook chains: per phase, hooks sorted by (priority, config order), with verdict counters. */
#include "chain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "log.h"
#include "settings.h"

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

bool fzgw_chain_after_ok(const char *after)
{
	const char *slash = strchr(after, '/');
	size_t len = strlen(after);

	if (!len || len >= 2 * FZGW_NAME_MAX)
		return false;
	if (!slash)
		return true;
	return slash != after && slash[1] && !strchr(slash + 1, '/');
}

/* Does @anchor ("module" or "module/hook") name entry @e? */
static bool names(const char *anchor, const struct fzgw_chain_entry *e)
{
	const char *slash = strchr(anchor, '/');
	size_t mlen = slash ? (size_t)(slash - anchor) : strlen(anchor);

	if (strlen(e->ctx->name) != mlen || strncmp(e->ctx->name, anchor, mlen))
		return false;
	return !slash || !strcmp(slash + 1, e->name);
}

/* Must @a run before @b? (b is placed after a.) */
static bool before(const struct fzgw_chain_entry *a, const struct fzgw_chain_entry *b)
{
	return a != b && b->after && names(b->after, a);
}

/*
 * Stable topological order of a sorted phase: each step takes the first hook (in sort
 * order) whose anchors are all placed. With no anchors this is the sort order itself.
 * A step with nothing to take means a cycle: @stuck gets one hook of it.
 */
static int place_after(struct fzgw_chain *c, const struct fzgw_chain_entry **stuck)
{
	struct fzgw_chain_entry out[FZGW_CHAIN_MAX];
	bool done[FZGW_CHAIN_MAX] = { false };

	for (int k = 0; k < c->n; k++) {
		int pick = -1;

		for (int i = 0; i < c->n && pick < 0; i++) {
			bool ready = !done[i];

			for (int j = 0; j < c->n && ready; j++)
				if (!done[j] && before(&c->e[j], &c->e[i]))
					ready = false;
			if (ready)
				pick = i;
		}
		if (pick < 0) {
			for (int i = 0; i < c->n; i++)
				if (!done[i]) {
					*stuck = &c->e[i];
					break;
				}
			return -ELOOP;
		}
		done[pick] = true;
		out[k] = c->e[pick];
	}
	memcpy(c->e, out, sizeof(out[0]) * (size_t)c->n);
	return 0;
}

static int hook_priority(const struct fzgw_ctx *ctx, const struct fzgw_hook *hk, const char *name)
{
	for (int i = 0; i < ctx->n_hook_prio; i++)
		if (!strcmp(ctx->hook_prio[i].name, name))
			return ctx->hook_prio[i].priority;
	return ctx->has_priority ? ctx->priority : hk->priority;
}

/* The hooks of a cycle, from @e along its anchors: "a/x after b, b/y after a". */
static void describe_cycle(const struct fzgw_chain *c, const struct fzgw_chain_entry *e, char *buf,
			   size_t len)
{
	const struct fzgw_chain_entry *cur = e;
	size_t used = 0;

	buf[0] = '\0';
	for (int steps = 0; cur && steps <= c->n && used < len; steps++) {
		const struct fzgw_chain_entry *next = NULL;
		int w = snprintf(buf + used, len - used, "%s%s/%s after \"%s\"", steps ? ", " : "",
				 cur->ctx->name, cur->name, cur->after ? cur->after : "");

		if (w < 0)
			break;
		used += (size_t)w;
		for (int i = 0; i < c->n && !next; i++)
			if (before(&c->e[i], cur) && c->e[i].after)
				next = &c->e[i];
		if (next == e)
			break;
		cur = next;
	}
}

int fzgw_chains_build_err(struct fzgw_chains *ch, struct fzgw_ctx *const *ctxs, int n, char *err,
			  size_t errlen)
{
	struct fzgw_chains *next = calloc(1, sizeof(*next));

	if (!next)
		return -ENOMEM;
	for (int m = 0; m < n; m++) {
		const struct fzgw_ctx *ctx = ctxs[m];

		if (!ctx || !ctx->live || !ctx->desc)
			continue;
		for (int h = 0; h < FZGW_MAX_HOOKS && ctx->desc->hooks[h].fn; h++) {
			const struct fzgw_hook *hk = &ctx->desc->hooks[h];
			struct fzgw_chain *c = &next->phase[hk->phase];
			struct fzgw_chain_entry *e;
			const struct fzgw_chain_entry *old;

			if (c->n == FZGW_CHAIN_MAX) {
				free(next);
				if (err)
					snprintf(err, errlen, "too many hooks in phase %s (at most %d)",
						 fzgw_phase_name(hk->phase), FZGW_CHAIN_MAX);
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
			e->after = hk->after;
			e->priority = hook_priority(ctx, hk, e->name);
			e->order = ctx->order;
			e->index = h;
		}
	}
	for (int p = 0; p < FZGW_PHASE_COUNT; p++) {
		const struct fzgw_chain_entry *stuck = NULL;
		char cycle[384];

		qsort(next->phase[p].e, (size_t)next->phase[p].n, sizeof(next->phase[p].e[0]), entry_cmp);
		if (place_after(&next->phase[p], &stuck) < 0) {
			if (err) {
				describe_cycle(&next->phase[p], stuck, cycle, sizeof(cycle));
				fzgw_settings_errf(stuck->ctx->entry_cs, err, errlen,
						   "hooks of phase %s placed after each other in a cycle: %s",
						   fzgw_phase_name(p), cycle);
			}
			free(next);
			return -ELOOP;
		}
	}
	fzgw_chains_retire(next, ch);
	*ch = *next;
	free(next);
	return 0;
}

void fzgw_chains_retire(struct fzgw_chains *next, const struct fzgw_chains *old)
{
	next->gen = old->gen + 1;
	for (int p = 0; p < FZGW_PHASE_COUNT; p++) {
		next->prev_n[p] = old->phase[p].n;
		for (int i = 0; i < old->phase[p].n; i++) {
			next->prev[p][i].ctx = old->phase[p].e[i].ctx;
			next->prev[p][i].index = old->phase[p].e[i].index;
		}
	}
}

int fzgw_chains_build(struct fzgw_chains *ch, struct fzgw_ctx *const *ctxs, int n)
{
	return fzgw_chains_build_err(ch, ctxs, n, NULL, 0);
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
			fprintf(f, "%s [%d] %s/%s%s%s%s", i ? " ->" : "", c->e[i].priority,
				c->e[i].ctx->name, c->e[i].name, c->e[i].after ? " (after " : "",
				c->e[i].after ? c->e[i].after : "", c->e[i].after ? ")" : "");
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
			int w = snprintf(line + used, sizeof(line) - used, "%s[%d] %s/%s%s%s%s",
					 i ? " -> " : "", c->e[i].priority, c->e[i].ctx->name, c->e[i].name,
					 c->e[i].after ? " (after " : "", c->e[i].after ? c->e[i].after : "",
					 c->e[i].after ? ")" : "");
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
