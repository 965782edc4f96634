/* SPDX-License-Identifier: Apache-2.0 */
/* The dns module against a local DNS server: answers, hosts file, timeouts, cap, cancel, fini. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns.h"
#include "modtest.h"

extern const struct fzgw_module fzgw_module;

#define MAX_ANSWERS 16

struct answer {
	int calls;
	uint64_t id;
	struct dns_result res;
};

struct fixture {
	struct modtest *t;
	evutil_socket_t fd;
	struct evdns_server_port *server;
	int queries;
	char hosts[64];
	const struct dns_service *svc;
};

/* The test's DNS server: a few names, NXDOMAIN for the rest, silence for "slow.test". */
static void serve(struct evdns_server_request *req, void *arg)
{
	struct fixture *f = arg;
	static const uint8_t a1[4] = { 10, 200, 0, 10 }, a2[4] = { 10, 200, 0, 11 };
	static const uint8_t six[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
	int err = DNS_ERR_NONE;

	f->queries++;
	for (int i = 0; i < req->nquestions; i++) {
		const struct evdns_server_question *q = req->questions[i];
		bool a = q->type == EVDNS_TYPE_A, aaaa = q->type == EVDNS_TYPE_AAAA;

		if (!strcasecmp(q->name, "slow.test")) {
			evdns_server_request_drop(req);
			return;
		}
		if (!strcasecmp(q->name, "multi.test")) {
			if (a) {
				evdns_server_request_add_a_reply(req, q->name, 1, a1, 60);
				evdns_server_request_add_a_reply(req, q->name, 1, a2, 60);
			} else if (aaaa) {
				evdns_server_request_add_aaaa_reply(req, q->name, 1, six, 60);
			}
		} else if (!strcasecmp(q->name, "many.test")) {
			/* 20 A and 12 AAAA records, largest first */
			for (int k = 19; a && k >= 0; k--) {
				uint8_t v4[4] = { 10, 201, 0, (uint8_t)(10 + k) };

				evdns_server_request_add_a_reply(req, q->name, 1, v4, 60);
			}
			for (int k = 11; aaaa && k >= 0; k--) {
				uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = (uint8_t)(0x20 + k) };

				evdns_server_request_add_aaaa_reply(req, q->name, 1, v6, 60);
			}
		} else if (!strcasecmp(q->name, "v6only.test")) {
			if (aaaa)
				evdns_server_request_add_aaaa_reply(req, q->name, 1, six, 60);
		} else if (!strcasecmp(q->name, "broken.test")) {
			err = DNS_ERR_SERVERFAILED;
		} else {
			err = DNS_ERR_NOTEXIST;
		}
	}
	evdns_server_request_respond(req, err);
}

static void on_answer(void *arg, uint64_t id, const struct dns_result *res)
{
	struct answer *a = arg;

	a->calls++;
	a->id = id;
	a->res = *res;
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

/* Runs the loop until @a has been answered or @ms passed. */
static void wait_for(struct fixture *f, struct answer *a, int ms)
{
	bool late = false;
	struct event *guard = evtimer_new(f->t->base, on_guard, &late);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(guard, &tv);
	while (!late && (!a || !a->calls))
		event_base_loop(f->t->base, EVLOOP_ONCE);
	event_free(guard);
}

static int start(void **state, const char *extra, bool check_only)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	char text[512];
	FILE *hf;
	int fd;

	assert_non_null(f);
	f->t = modtest_new("dns", &fzgw_module);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((f->fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&sin, &len), 0);
	evutil_make_socket_nonblocking(f->fd);
	assert_non_null(f->server =
			    evdns_add_server_port_with_base(f->t->base, f->fd, 0, serve, f));
	snprintf(f->hosts, sizeof(f->hosts), "%s/dnshosts-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_true((fd = mkstemp(f->hosts)) >= 0);
	assert_non_null(hf = fdopen(fd, "w"));
	fprintf(hf, "10.9.9.9 hosted.test\n2001:db8::99 hosted.test\n10.200.0.99 override.test\n");
	fclose(hf);
	snprintf(text, sizeof(text), "{ upstreams = [\"127.0.0.1:%u\"]; hosts_file = \"%s\"; %s }",
		 ntohs(sin.sin_port), f->hosts, extra);
	assert_int_equal(modtest_init(f->t, modtest_settings(f->t, text), check_only), 0);
	f->svc = fzgw_registry_find(&f->t->core.reg, DNS_SERVICE_NAME);
	assert_non_null(f->svc);
	assert_int_equal(f->svc->version, DNS_SERVICE_VERSION);
	assert_int_equal(f->svc->struct_size, sizeof(*f->svc));
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return start(state, "timeout = 1;", false);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	modtest_unload(f->t);
	evdns_close_server_port(f->server);
	close(f->fd);
	unlink(f->hosts);
	modtest_free(f->t);
	free(f);
	return 0;
}

static int resolve(struct fixture *f, const char *name, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	return f->svc->resolve(f->svc->self, name, on_answer, a, &a->id);
}

static uint64_t counter(struct fixture *f, const char *name)
{
	return fzgw_counter_get(&f->t->ctx.counters, name);
}

/* A long answer: each family keeps its smallest addresses, sorted (IPv6 not crowded out). */
static void test_many_addresses(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	assert_int_equal(resolve(f, "many.test", &a), 0);
	wait_for(f, &a, 3000);
	assert_int_equal(a.res.status, 0);
	assert_int_equal(a.res.n, 2 * DNS_RESULT_PER_FAMILY);
	for (int i = 0; i < DNS_RESULT_PER_FAMILY; i++) {
		assert_int_equal(a.res.addrs[i].family, 4);
		assert_int_equal(a.res.addrs[i].bytes[3], 10 + i);
		assert_int_equal(a.res.addrs[DNS_RESULT_PER_FAMILY + i].family, 6);
		assert_int_equal(a.res.addrs[DNS_RESULT_PER_FAMILY + i].bytes[15], 0x20 + i);
	}
}

static void test_answers(void **state)
{
	struct fixture *f = *state;
	struct answer a, b, c;

	assert_int_equal(resolve(f, "Multi.Test", &a), 0);
	assert_int_not_equal(a.id, 0);
	assert_int_equal(resolve(f, "v6only.test.", &b), 0);
	assert_int_equal(resolve(f, "missing.test", &c), 0);
	assert_int_equal(a.calls + b.calls + c.calls, 0); /* never from inside resolve() */
	wait_for(f, &a, 3000);
	wait_for(f, &b, 3000);
	wait_for(f, &c, 3000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.res.status, -0);
	assert_int_equal(a.res.n, 3);
	assert_int_equal(a.res.addrs[0].family, 4);
	assert_int_equal(a.res.addrs[1].family, 4);
	assert_int_equal(a.res.addrs[0].bytes[3] + a.res.addrs[1].bytes[3], 21);
	assert_int_equal(a.res.addrs[2].family, 6);
	assert_int_equal(b.res.status, 0);
	assert_int_equal(b.res.n, 1);
	assert_int_equal(b.res.addrs[0].family, 6);
	assert_int_equal(b.res.addrs[0].bytes[15], 0x10);
	assert_int_equal(c.res.status, -ENOENT);
	assert_int_equal(c.res.n, 0);
	assert_int_equal(counter(f, "lookups"), 3);
	assert_int_equal(counter(f, "answered"), 2);
	assert_int_equal(counter(f, "no-address"), 1);
}

static void test_failure(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	assert_int_equal(resolve(f, "broken.test", &a), 0);
	wait_for(f, &a, 3000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.res.n, 0);
	/* a server failure, or the retries running out of time */
	assert_true(a.res.status == -EIO || a.res.status == -ETIMEDOUT);
}

static void test_hosts(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	int before = f->queries;

	assert_int_equal(resolve(f, "hosted.test", &a), 0);
	assert_int_equal(a.calls, 0);
	wait_for(f, &a, 1000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.res.status, 0);
	assert_int_equal(a.res.n, 2);
	assert_int_equal(a.res.addrs[0].bytes[0], 10);
	assert_int_equal(a.res.addrs[1].family, 6);
	assert_int_equal(f->queries, before);
	assert_int_equal(counter(f, "hosts-file"), 1);
	/* the server does not know this name: only the file answers */
	assert_int_equal(resolve(f, "OVERRIDE.test", &a), 0);
	wait_for(f, &a, 1000);
	assert_int_equal(a.res.status, 0);
	assert_int_equal(a.res.n, 1);
	assert_int_equal(a.res.addrs[0].bytes[3], 99);
	assert_int_equal(f->queries, before);
}

static void test_timeout(void **state)
{
	struct fixture *f = *state;
	struct dns_state *st = f->t->ctx.state;
	struct answer a;

	assert_int_equal(resolve(f, "slow.test", &a), 0);
	wait_for(f, &a, 500);
	assert_int_equal(a.calls, 0);
	wait_for(f, &a, 2000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.res.status, -ETIMEDOUT);
	assert_int_equal(counter(f, "timeouts"), 1);
	/* evdns still runs its retries; the lookup counts in flight until they end */
	assert_true(st->inflight <= 1);
	wait_for(f, NULL, 1500);
	assert_int_equal(st->inflight, 0);
	assert_int_equal(a.calls, 1);
}

static void test_overall_timeout(void **state)
{
	struct fixture *f = *state;
	struct dns_state *st = f->t->ctx.state;
	struct answer a;

	/* evdns slower than the whole lookup may take: the module's own timer answers */
	assert_int_equal(evdns_base_set_option(st->evdns, "timeout:", "30"), 0);
	assert_int_equal(resolve(f, "slow.test", &a), 0);
	wait_for(f, &a, 2500);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.res.status, -ETIMEDOUT);
	assert_int_equal(counter(f, "timeouts"), 1);
	/* abandoned but still with evdns: in flight until fini frees it */
	assert_int_equal(st->inflight, 1);
	wait_for(f, NULL, 200);
	assert_int_equal(a.calls, 1);
}

static void test_cap(void **state)
{
	struct fixture *f;
	struct answer a, b, c;

	teardown(state);
	start(state, "timeout = 1; max_inflight = 2;", false);
	f = *state;
	assert_int_equal(resolve(f, "slow.test", &a), 0);
	assert_int_equal(resolve(f, "hosted.test", &b), 0);
	assert_int_equal(resolve(f, "multi.test", &c), -EBUSY);
	assert_int_equal(counter(f, "refused-in-flight-cap"), 1);
	wait_for(f, &b, 1000);
	assert_int_equal(b.calls, 1);
	/* room again */
	assert_int_equal(resolve(f, "multi.test", &c), 0);
	wait_for(f, &c, 3000);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.res.status, 0);
}

static void test_cancel(void **state)
{
	struct fixture *f = *state;
	struct answer a, b;

	assert_int_equal(resolve(f, "multi.test", &a), 0);
	assert_int_equal(resolve(f, "hosted.test", &b), 0);
	f->svc->cancel(f->svc->self, a.id);
	f->svc->cancel(f->svc->self, b.id);
	f->svc->cancel(f->svc->self, b.id); /* twice, or unknown: ignored */
	f->svc->cancel(f->svc->self, 0);
	f->svc->cancel(f->svc->self, 999999);
	wait_for(f, NULL, 500);
	assert_int_equal(a.calls + b.calls, 0);
	assert_int_equal(counter(f, "cancelled"), 2);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	uint64_t id;

	assert_int_equal(resolve(f, "not a name", &a), -EINVAL);
	assert_int_equal(resolve(f, "", &a), -EINVAL);
	assert_int_equal(resolve(f, "a..b", &a), -EINVAL);
	assert_int_equal(f->svc->resolve(f->svc->self, "a.b", NULL, NULL, &id), -EINVAL);
	assert_true(f->svc->match("*.test", "multi.test"));
	assert_false(f->svc->match("*.test", "multi.other"));
}

static struct answer fini_answers[3];

static void test_fini_in_flight(void **state)
{
	struct fixture *f = *state;

	/* fini answers whoever still waits and frees every evdns object (ASan checks) */
	assert_int_equal(resolve(f, "slow.test", &fini_answers[0]), 0);
	assert_int_equal(resolve(f, "hosted.test", &fini_answers[1]), 0);
	assert_int_equal(resolve(f, "multi.test", &fini_answers[2]), 0);
	f->svc->cancel(f->svc->self, fini_answers[2].id);
	wait_for(f, NULL, 50);
	modtest_unload(f->t);
	assert_int_equal(fini_answers[0].calls, 1);
	assert_int_equal(fini_answers[0].res.status, -ESHUTDOWN);
	assert_int_equal(fini_answers[1].calls, 1);
	assert_int_equal(fini_answers[2].calls, 0);
	/* a reply arriving after the module went away finds nothing */
	wait_for(f, NULL, 300);
	assert_int_equal(fini_answers[2].calls, 0);
}

static void test_check_only(void **state)
{
	struct fixture *f;
	struct answer a;

	teardown(state);
	start(state, "", true);
	f = *state;
	assert_int_equal(resolve(f, "multi.test", &a), -ENOTCONN);
}

static void test_settings(void **state)
{
	struct modtest *t = modtest_new("dns", &fzgw_module);

	(void)state;
	assert_int_equal(
	    modtest_init(t, modtest_settings(t, "{ upstreams = [\"nonsense\"]; }"), true), -EINVAL);
	assert_non_null(strstr(t->ctx.last_err, "upstreams"));
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ upstreams = [1]; }"), true),
			 -EINVAL);
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ timeout = 0; }"), true), -EINVAL);
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ max_inflight = 0; }"), true),
			 -EINVAL);
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ colour = \"blue\"; }"), true),
			 -EINVAL);
	assert_int_equal(
	    modtest_init(t,
			 modtest_settings(t, "{ upstreams = [\"10.0.0.1\", "
					     "\"10.0.0.2:5353\", \"[fd00::53]:53\"]; }"),
			 true),
	    0);
	modtest_unload(t);
	/* a resolv.conf without nameservers: lookups are refused, nothing hangs */
	assert_int_equal(modtest_init(t, modtest_settings(t, "{ resolv_conf = \"/dev/null\"; "
							     "hosts_file = \"\"; }"),
				      false),
			 0);
	{
		const struct dns_service *svc = fzgw_registry_find(&t->core.reg, DNS_SERVICE_NAME);
		struct answer a;

		memset(&a, 0, sizeof(a));
		assert_int_equal(svc->resolve(svc->self, "multi.test", on_answer, &a, &a.id),
				 -ENOTCONN);
	}
	modtest_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hosts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overall_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fini_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_only, setup, teardown),
		cmocka_unit_test(test_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
