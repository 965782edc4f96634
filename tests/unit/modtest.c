/* SPDX-License-Identifier: Apache-2.0 */
/* Test harness for modules: the real core without a data plane, settings from text, packets by hand. */
#include "modtest.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ip_parse.h"
#include "loader.h"
#include "settings.h"

uint64_t modtest_now_ms = 1000000;
int64_t modtest_wall_s = 1800000000;

static uint64_t fake_now_ms(void)
{
	return modtest_now_ms;
}

static int64_t fake_wall_s(void)
{
	return modtest_wall_s;
}

static struct modtest *of_core(struct fzgw_core *core)
{
	return (struct modtest *)(void *)((char *)core - offsetof(struct modtest, core));
}

static int record_icmp(struct fzgw_core *core, const struct fzgw_packet *pkt, int kind, uint32_t mtu)
{
	struct modtest *t = of_core(core);

	(void)mtu;
	if (t->n_icmp < MODTEST_MAX_ICMP) {
		t->icmp[t->n_icmp].kind = kind;
		t->icmp[t->n_icmp].src = pkt->ip.src;
		t->icmp[t->n_icmp].dst = pkt->ip.dst;
		t->n_icmp++;
	}
	return 0;
}

static int record_removal(struct fzgw_core *core, const char *client_id, const char *why)
{
	struct modtest *t = of_core(core);
	struct modtest_removal *r;

	if (t->n_removals < MODTEST_MAX_REMOVALS) {
		r = &t->removals[t->n_removals++];
		snprintf(r->client_id, sizeof(r->client_id), "%s", client_id);
		snprintf(r->why, sizeof(r->why), "%s", why);
	}
	return t->peer_remove_rc;
}

/* Copies a resource's borrowed lists into one block owned by the event. */
static void own_resource(struct modtest_event *e, struct fzgw_resource *r)
{
	size_t plen = r->pattern ? strlen(r->pattern) + 1 : 0, size, nr = 0;
	struct fzgw_filter *f;
	struct fzgw_port_range *pr;
	char *p;

	for (uint32_t i = 0; i < r->n_filters; i++)
		nr += r->filters[i].n_ranges;
	size = r->n_filters * sizeof(*f) + nr * sizeof(*pr) + plen;
	assert_non_null(e->owned = calloc(1, size ? size : 1));
	f = e->owned;
	pr = (struct fzgw_port_range *)(f + r->n_filters);
	p = (char *)(pr + nr);
	for (uint32_t i = 0; i < r->n_filters; i++) {
		f[i] = r->filters[i];
		if (f[i].n_ranges)
			memcpy(pr, r->filters[i].ranges, f[i].n_ranges * sizeof(*pr));
		f[i].ranges = f[i].n_ranges ? pr : NULL;
		pr += f[i].n_ranges;
	}
	r->filters = r->n_filters ? f : NULL;
	if (r->pattern) {
		memcpy(p, r->pattern, plen);
		r->pattern = p;
	}
}

static void record_event(void *state, const struct fzgw_event *ev)
{
	struct modtest *t = state;
	struct modtest_event *e;

	if (t->n_events == MODTEST_MAX_EVENTS)
		return;
	e = &t->events[t->n_events++];
	memset(e, 0, sizeof(*e));
	e->type = ev->type;
	snprintf(e->source, sizeof(e->source), "%s", ev->source ? ev->source : "");
	if (ev->data && ev->size <= sizeof(e->u))
		memcpy(&e->u, ev->data, ev->size);
	if (ev->type == FZGW_EV_PEER_AUTHORIZED && ev->size >= sizeof(e->u.auth))
		own_resource(e, &e->u.auth.resource);
	else if (ev->type == FZGW_EV_RESOURCE_UPDATED && ev->size >= sizeof(e->u.res))
		own_resource(e, &e->u.res.resource);
}

static void free_events(struct modtest *t)
{
	for (int i = 0; i < t->n_events; i++) {
		free(t->events[i].owned);
		t->events[i].owned = NULL;
	}
	t->n_events = 0;
}

struct modtest *modtest_new(const char *module_name, const struct fzgw_module *desc)
{
	struct modtest *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_non_null(t->base = event_base_new());
	fzgw_core_init(&t->core, t->base, false);
	t->core.now_ms = fake_now_ms;
	t->core.wall_s = fake_wall_s;
	t->core.icmp = record_icmp;
	t->core.peer_remove = record_removal;
	t->ctx.core = &t->core;
	snprintf(t->ctx.name, sizeof(t->ctx.name), "%s", module_name);
	t->ctx.desc = desc;
	t->recorder.core = &t->core;
	snprintf(t->recorder.name, sizeof(t->recorder.name), "recorder");
	t->recorder.live = true;
	for (uint32_t type = FZGW_EV_NONE + 1; type < FZGW_EV_TYPE_COUNT; type++)
		assert_int_equal(fzgw_bus_subscribe(&t->core.bus, &t->recorder, type, record_event, t), 0);
	return t;
}

void modtest_unload(struct modtest *t)
{
	fzgw_ctx_unregister_all(&t->ctx);
	if (t->ctx.live && t->ctx.desc->fini)
		t->ctx.desc->fini(t->ctx.state);
	t->ctx.live = false;
	t->ctx.state = NULL;
}

static void drop_file(struct modtest *t)
{
	if (t->cfg_live)
		config_destroy(&t->cfg);
	t->cfg_live = false;
	if (t->file[0])
		unlink(t->file);
	t->file[0] = '\0';
}

void modtest_free(struct modtest *t)
{
	if (!t)
		return;
	modtest_unload(t);
	fzgw_ctx_unregister_all(&t->recorder);
	fzgw_core_fini(&t->core);
	free_events(t);
	drop_file(t);
	event_base_free(t->base);
	free(t);
}

const struct fzgw_settings *modtest_settings(struct modtest *t, const char *text)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd;

	drop_file(t);
	snprintf(t->file, sizeof(t->file), "%s/modtest-XXXXXX", dir && *dir ? dir : "/tmp");
	assert_true((fd = mkstemp(t->file)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "settings = %s;\n", text);
	fclose(f);
	config_init(&t->cfg);
	t->cfg_live = true;
	if (config_read_file(&t->cfg, t->file) != CONFIG_TRUE) {
		fprintf(stderr, "settings text: line %d: %s\n", config_error_line(&t->cfg),
			config_error_text(&t->cfg));
		return NULL;
	}
	return fzgw_settings_of(config_lookup(&t->cfg, "settings"));
}

int modtest_init(struct modtest *t, const struct fzgw_settings *s, bool check_only)
{
	char err[512];
	int rc;

	t->ctx.check_only = check_only;
	t->ctx.last_err[0] = '\0';
	rc = fzgw_loader_init(&t->ctx, fzgw_settings_cs(s), err, sizeof(err));
	if (rc < 0)
		snprintf(t->ctx.last_err, sizeof(t->ctx.last_err), "%s", err);
	return rc;
}

void modtest_run(struct modtest *t)
{
	event_base_loop(t->base, EVLOOP_NONBLOCK);
}

int modtest_publish(struct modtest *t, uint32_t type, const void *data, size_t size)
{
	return fzgw_bus_publish(&t->core.bus, &t->recorder, type, data, size);
}

void modtest_clear(struct modtest *t)
{
	free_events(t);
	t->n_icmp = 0;
	t->n_removals = 0;
}

int modtest_count(const struct modtest *t, uint32_t type)
{
	int n = 0;

	for (int i = 0; i < t->n_events; i++)
		n += t->events[i].type == type;
	return n;
}

struct fzgw_addr modtest_addr(const char *text)
{
	struct fzgw_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.bytes) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, text, a.bytes) == 1)
		a.family = 6;
	else
		fail_msg("bad address in test: %s", text);
	return a;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IP header for @l4_len bytes of @proto; returns its length. */
static size_t ip_header(uint8_t *out, const struct fzgw_addr *src, const struct fzgw_addr *dst,
			int proto, size_t l4_len)
{
	if (src->family == 4) {
		memset(out, 0, 20);
		out[0] = 0x45;
		put16(out + 2, (unsigned)(20 + l4_len));
		out[8] = 64;
		out[9] = (uint8_t)proto;
		memcpy(out + 12, src->bytes, 4);
		memcpy(out + 16, dst->bytes, 4);
		return 20;
	}
	memset(out, 0, 40);
	out[0] = 0x60;
	put16(out + 4, (unsigned)l4_len);
	out[6] = (uint8_t)proto;
	out[7] = 64;
	memcpy(out + 8, src->bytes, 16);
	memcpy(out + 24, dst->bytes, 16);
	return 40;
}

static struct fzgw_packet *finish(struct modtest_pkt *mp, size_t len, int dir, const char *client_id)
{
	struct fzgw_packet *pkt = &mp->pkt;

	memset(pkt, 0, sizeof(*pkt));
	memset(&mp->peer, 0, sizeof(mp->peer));
	snprintf(mp->peer.client_id, sizeof(mp->peer.client_id), "%s", client_id);
	pkt->data = mp->buf;
	pkt->len = (uint32_t)len;
	pkt->cap = sizeof(mp->buf);
	pkt->dir = (uint8_t)dir;
	pkt->phase = dir == FZGW_DIR_IN ? FZGW_PHASE_IN_FILTER : FZGW_PHASE_OUT_FILTER;
	pkt->peer = &mp->peer;
	assert_int_equal(fzgw_ip_parse(&pkt->ip, mp->buf, len, FZGW_IP_MAX_SIZE), 0);
	if (dir == FZGW_DIR_IN)
		*(pkt->ip.src.family == 4 ? &mp->peer.ipv4 : &mp->peer.ipv6) = pkt->ip.src;
	else
		*(pkt->ip.dst.family == 4 ? &mp->peer.ipv4 : &mp->peer.ipv6) = pkt->ip.dst;
	return pkt;
}

struct fzgw_packet *modtest_pkt(struct modtest_pkt *mp, int dir, const char *client_id,
				const char *src, const char *dst, int proto, uint16_t sport,
				uint16_t dport)
{
	struct fzgw_addr s = modtest_addr(src), d = modtest_addr(dst);
	uint8_t l4[20];
	size_t l4_len = 8, hl;

	assert_int_equal(s.family, d.family);
	memset(l4, 0, sizeof(l4));
	if (proto == MT_TCP) {
		l4_len = 20;
		put16(l4, sport);
		put16(l4 + 2, dport);
		l4[12] = 5 << 4;
		l4[13] = 0x02; /* SYN */
	} else if (proto == MT_UDP) {
		put16(l4, sport);
		put16(l4 + 2, dport);
		put16(l4 + 4, 8);
	} else if (proto == MT_ICMP || proto == MT_ICMP6) {
		l4[0] = proto == MT_ICMP ? 8 : 128; /* echo request */
		put16(l4 + 4, sport);
	}
	hl = ip_header(mp->buf, &s, &d, proto, l4_len);
	memcpy(mp->buf + hl, l4, l4_len);
	return finish(mp, hl + l4_len, dir, client_id);
}

struct fzgw_packet *modtest_icmp_error(struct modtest_pkt *mp, int dir, const char *client_id,
				       const char *src, const char *dst, const char *quoted)
{
	return modtest_icmp_error_q(mp, dir, client_id, src, dst, dst, quoted, MT_UDP, 40000, 53);
}

struct fzgw_packet *modtest_icmp_error_q(struct modtest_pkt *mp, int dir, const char *client_id,
					 const char *src, const char *dst, const char *qsrc,
					 const char *qdst, int proto, uint16_t sport, uint16_t dport)
{
	struct fzgw_addr s = modtest_addr(src), d = modtest_addr(dst), qs = modtest_addr(qsrc),
			 q = modtest_addr(qdst);
	uint8_t inner[48 + 8];
	size_t ihl, hl, l4_len;
	bool v4 = s.family == 4;

	ihl = ip_header(inner, &qs, &q, proto, 8);
	memset(inner + ihl, 0, 8);
	if (proto == MT_ICMP || proto == MT_ICMP6) {
		inner[ihl] = proto == MT_ICMP ? 8 : 128; /* echo request */
		put16(inner + ihl + 4, sport);
	} else {
		put16(inner + ihl, sport);
		put16(inner + ihl + 2, dport);
		if (proto == MT_UDP)
			put16(inner + ihl + 4, 8);
	}
	l4_len = 8 + ihl + 8;
	hl = ip_header(mp->buf, &s, &d, v4 ? MT_ICMP : MT_ICMP6, l4_len);
	memset(mp->buf + hl, 0, 8);
	mp->buf[hl] = v4 ? 3 : 1;     /* destination unreachable */
	mp->buf[hl + 1] = v4 ? 3 : 4; /* port unreachable */
	memcpy(mp->buf + hl + 8, inner, ihl + 8);
	return finish(mp, hl + l4_len, dir, client_id);
}

fzgw_hook_fn modtest_hook(const struct fzgw_module *desc, int phase)
{
	for (int i = 0; i < FZGW_MAX_HOOKS && desc->hooks[i].fn; i++)
		if (desc->hooks[i].phase == phase)
			return desc->hooks[i].fn;
	return NULL;
}

char *modtest_capture_log(void (*fn)(struct modtest *t), struct modtest *t)
{
	char path[] = "/tmp/fzgw-modtest-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *buf = calloc(1, 65536);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0 && buf);
	fflush(stderr);
	dup2(fd, 2);
	fn(t);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, 65535, 0);
	assert_true(n >= 0);
	close(fd);
	unlink(path);
	return buf;
}
