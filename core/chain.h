/* SPDX-License-Identifier: Apache-2.0 */
/* Hook chains: per phase, hooks sorted by (priority, config order), with verdict counters. */
#ifndef FZGW_CHAIN_H
#define FZGW_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <fzgw/module.h>

#define FZGW_CHAIN_MAX 64
#define FZGW_CHAIN_REASONS 8

struct fzgw_ctx;

struct fzgw_chain_entry {
	fzgw_hook_fn fn;
	void *state;
	struct fzgw_ctx *ctx;
	const char *name;
	const char *after; /* the hook's "module" or "module/hook" anchor, or NULL */
	int priority;
	int order;     /* module's config order */
	int index;     /* hook's index in its module */
	uint64_t verdicts[4];
	struct {
		const char *reason;
		uint64_t n;
	} drops[FZGW_CHAIN_REASONS];
	uint64_t drops_other;
};

struct fzgw_chain {
	int n;
	struct fzgw_chain_entry e[FZGW_CHAIN_MAX];
};

/* A hook by identity: its module and its index there. */
struct fzgw_chain_id {
	const void *ctx;
	int index;
};

struct fzgw_chains {
	struct fzgw_chain phase[FZGW_PHASE_COUNT];
	uint32_t gen; /* bumped by every build: a held packet's hook index is of one generation */
	/* the hooks of generation gen - 1 by position, to find a held packet's hook again */
	int prev_n[FZGW_PHASE_COUNT];
	struct fzgw_chain_id prev[FZGW_PHASE_COUNT][FZGW_CHAIN_MAX];
};

const char *fzgw_phase_name(int phase);
const char *fzgw_verdict_name(int verdict);

/* Rebuilds every chain from the live modules (ctxs[0..n)). Counters are carried over
 * for hooks that stay. Hooks are sorted by (priority, config order, hook index), where the
 * priority is the config's per-hook override, else its module-wide one, else the hook's
 * own; then every hook with an `after` anchor is moved behind the hooks it names in its
 * phase. Returns 0, -E2BIG, -ELOOP (anchors in a cycle) or -ENOMEM; nothing changes on
 * error. */
int fzgw_chains_build(struct fzgw_chains *ch, struct fzgw_ctx *const *ctxs, int n);
/* The same with a one-line error (FILE:LINE of a module involved) in @err. */
int fzgw_chains_build_err(struct fzgw_chains *ch, struct fzgw_ctx *const *ctxs, int n, char *err,
			  size_t errlen);
/* True if @after is "module" or "module/hook" (non-empty parts, one slash at most). */
bool fzgw_chain_after_ok(const char *after);

/* Makes @next the generation after @old (remembering @old's hooks by position). */
void fzgw_chains_retire(struct fzgw_chains *next, const struct fzgw_chains *old);

/* Runs one phase from hook index @start. Returns the phase's verdict: ACCEPT (go on),
 * DROP (pkt->drop_reason set) or STOLEN. FILTER phases are default-deny. */
enum fzgw_verdict fzgw_chain_run(struct fzgw_chain *c, int phase, struct fzgw_packet *pkt, int start);

/* Prints "phase: [prio] module/hook" lines, for --check-config and the start-up log. */
void fzgw_chains_print(const struct fzgw_chains *ch, FILE *f);
void fzgw_chains_log(const struct fzgw_chains *ch);
void fzgw_chains_dump_stats(const struct fzgw_chains *ch);

#define FZGW_REASON_NO_ACCEPT "no-filter-accepted"

#endif
