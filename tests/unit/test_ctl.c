/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket's pieces: the request parser, the pcap writer and stream reader, the
 * grants tracker (from bus events, as the data plane and the control plane publish them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "ctl_proto.h"
#include "grants.h"
#include "pcap.h"

/* ------------------------------------------------------------ the request parser */

static int parse(const char *s, struct fzgw_ctl_req *r, char *err)
{
	return fzgw_ctl_parse_request(s, strlen(s), r, err, 160);
}

static void test_parse_ok(void **st)
{
	struct fzgw_ctl_req r;
	char err[160];

	(void)st;
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"status\"}\n", &r, err), 0);
	assert_int_equal(r.cmd, FZGW_CTL_STATUS);
	assert_int_equal(parse("{\"cmd\":\"capture\",\"v\":1}", &r, err), 0);
	assert_int_equal(r.cmd, FZGW_CTL_CAPTURE);
	assert_string_equal(r.client_id, "");
	assert_int_equal(r.max_bytes, FZGW_CTL_CAPTURE_BYTES_DEFAULT);
	assert_int_equal(r.max_seconds, FZGW_CTL_CAPTURE_SECONDS_DEFAULT);
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"capture\",\"client\":\"client1\",\"max_bytes\":4096,"
			       "\"max_seconds\":7}", &r, err), 0);
	assert_string_equal(r.client_id, "client1");
	assert_int_equal(r.max_bytes, 4096);
	assert_int_equal(r.max_seconds, 7);
}

static void test_parse_refused(void **st)
{
	static const char *const bad[] = {
		"", "\n", "not json", "[1,2]", "\"status\"", "{}", "{\"cmd\":\"status\"}",
		"{\"v\":2,\"cmd\":\"status\"}", "{\"v\":\"1\",\"cmd\":\"status\"}", "{\"v\":-1,\"cmd\":\"status\"}",
		"{\"v\":1,\"cmd\":\"reboot\"}", "{\"v\":1,\"cmd\":7}", "{\"v\":1}",
		"{\"v\":1,\"cmd\":\"status\",\"client\":\"x\"}",         /* capture's keys only */
		"{\"v\":1,\"cmd\":\"capture\",\"extra\":1}",
		"{\"v\":1,\"cmd\":\"capture\",\"client\":7}",
		"{\"v\":1,\"cmd\":\"capture\",\"client\":\"a b\"}",       /* not printable without blanks */
		"{\"v\":1,\"cmd\":\"capture\",\"client\":\"a\\u0000b\"}",
		"{\"v\":1,\"cmd\":\"capture\",\"client\":\"0123456789012345678901234567890123456789\"}",
		"{\"v\":1,\"cmd\":\"capture\",\"max_bytes\":0}",
		"{\"v\":1,\"cmd\":\"capture\",\"max_bytes\":1099511627777}",
		"{\"v\":1,\"cmd\":\"capture\",\"max_bytes\":1.5}",
		"{\"v\":1,\"cmd\":\"capture\",\"max_seconds\":0}",
		"{\"v\":1,\"cmd\":\"capture\",\"max_seconds\":604801}",
		"{\"v\":1,\"cmd\":\"status\",\"cmd\":\"capture\"}",       /* duplicate keys */
		"{\"v\":1,\"cmd\":\"status\"} trailing",
	};
	struct fzgw_ctl_req r;
	char err[160];

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(bad[i], &r, err) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
		assert_int_equal(r.cmd, 0);
	}
	assert_int_equal(parse("{\"v\":9,\"cmd\":\"status\"}", &r, err), -EINVAL);
	assert_non_null(strstr(err, "version 9"));
}

static void test_parse_too_long(void **st)
{
	char *big = malloc(FZGW_CTL_MAX_REQUEST + 16), err[160];
	struct fzgw_ctl_req r;

	(void)st;
	assert_non_null(big);
	memset(big, ' ', FZGW_CTL_MAX_REQUEST + 15);
	memcpy(big, "{\"v\":1,\"cmd\":\"status\"}", 22);
	big[FZGW_CTL_MAX_REQUEST + 15] = '\0';
	assert_int_equal(parse(big, &r, err), -EINVAL);
	assert_string_equal(err, "request too long");
	/* just under the limit: whitespace is fine */
	big[FZGW_CTL_MAX_REQUEST - 1] = '\0';
	assert_int_equal(parse(big, &r, err), 0);
	free(big);
}

static void test_format_roundtrip(void **st)
{
	struct fzgw_ctl_req in = { .cmd = FZGW_CTL_CAPTURE, .client_id = "c-42", .max_bytes = 1 << 20,
				   .max_seconds = 60 }, out;
	char line[512], err[160];
	int n;

	(void)st;
	n = fzgw_ctl_format_request(&in, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal(line[n - 1], '\n');
	assert_int_equal(fzgw_ctl_parse_request(line, (size_t)n, &out, err, sizeof(err)), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	assert_int_equal(fzgw_ctl_format_request(&in, line, 10), -ENOSPC);
}

/* ------------------------------------------------------------ pcap */

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_pcap_headers(void **st)
{
	uint8_t fh[FZGW_PCAP_FILE_HDR], rh[FZGW_PCAP_REC_HDR];
	struct timespec ts = { 1700000000, 123456789 };

	(void)st;
	fzgw_pcap_file_header(fh, 65535, FZGW_PCAP_LINKTYPE_RAW);
	assert_int_equal(rd32(fh), 0xa1b2c3d4u);
	assert_int_equal(fh[4] | fh[5] << 8, 2);   /* version 2.4, host order (little endian here) */
	assert_int_equal(fh[6] | fh[7] << 8, 4);
	assert_int_equal(rd32(fh + 8), 0);
	assert_int_equal(rd32(fh + 16), 65535);
	assert_int_equal(rd32(fh + 20), 101);
	assert_int_equal(fzgw_pcap_record_header(rh, &ts, 1500, 65535), 1500);
	assert_int_equal(rd32(rh), 1700000000u);
	assert_int_equal(rd32(rh + 4), 123456);    /* microseconds */
	assert_int_equal(rd32(rh + 8), 1500);
	assert_int_equal(rd32(rh + 12), 1500);
	/* longer than the snaplen: cut, the original length kept */
	assert_int_equal(fzgw_pcap_record_header(rh, &ts, 70000, 65535), 65535);
	assert_int_equal(rd32(rh + 8), 65535);
	assert_int_equal(rd32(rh + 12), 70000);
}

/* A stream of a file header and three records, fed in every split: the reader reports exactly
 * the boundaries, never half a record. */
static void test_pcap_reader_boundaries(void **st)
{
	uint8_t s[FZGW_PCAP_FILE_HDR + 3 * FZGW_PCAP_REC_HDR + 10 + 0 + 33];
	size_t bounds[] = { FZGW_PCAP_FILE_HDR, FZGW_PCAP_FILE_HDR + 16 + 10,
			    FZGW_PCAP_FILE_HDR + 16 + 10 + 16, sizeof(s) };
	struct timespec ts = { 1, 0 };
	size_t off = 0;

	(void)st;
	fzgw_pcap_file_header(s, 65535, 101);
	off = FZGW_PCAP_FILE_HDR;
	fzgw_pcap_record_header(s + off, &ts, 10, 65535);
	memset(s + off + 16, 0xaa, 10);
	off += 26;
	fzgw_pcap_record_header(s + off, &ts, 0, 65535);
	off += 16;
	fzgw_pcap_record_header(s + off, &ts, 33, 65535);
	memset(s + off + 16, 0xbb, 33);
	for (size_t split = 1; split <= sizeof(s); split++) {
		struct fzgw_pcap_reader r;
		size_t done = 0, c;

		fzgw_pcap_reader_init(&r);
		for (size_t at = 0; at < sizeof(s); at += split) {
			size_t n = sizeof(s) - at < split ? sizeof(s) - at : split;
			bool on_boundary = false;

			assert_int_equal(fzgw_pcap_reader_feed(&r, s + at, n, &c), 0);
			done += c;
			assert_true(done <= at + n);
			for (size_t b = 0; b < 4; b++)
				on_boundary |= done == bounds[b];
			assert_true(done == 0 || on_boundary);
			/* the latest boundary within what was fed */
			for (size_t b = 0; b < 4; b++)
				if (bounds[b] <= at + n)
					assert_true(done >= bounds[b]);
		}
		assert_int_equal(done, sizeof(s));
		assert_int_equal(r.records, 3);
	}
}

static void test_pcap_reader_refuses(void **st)
{
	uint8_t s[FZGW_PCAP_FILE_HDR + FZGW_PCAP_REC_HDR];
	struct timespec ts = { 1, 0 };
	struct fzgw_pcap_reader r;
	size_t c;

	(void)st;
	memset(s, 0, sizeof(s));
	fzgw_pcap_reader_init(&r);
	assert_int_equal(fzgw_pcap_reader_feed(&r, s, sizeof(s), &c), -EPROTO); /* bad magic */
	fzgw_pcap_file_header(s, 100, 101);
	fzgw_pcap_record_header(s + FZGW_PCAP_FILE_HDR, &ts, 200, 1000); /* caplen 200 > snaplen 100 */
	fzgw_pcap_reader_init(&r);
	assert_int_equal(fzgw_pcap_reader_feed(&r, s, sizeof(s), &c), -EPROTO);
}

/* ------------------------------------------------------------ grants */

static struct fzgw_core core;
static struct fzgw_ctx dp_ctx; /* stands for the data plane (the core's own ctx) */

static void authorize(const char *client, const char *res, int64_t exp)
{
	struct fzgw_ev_authorization a;

	memset(&a, 0, sizeof(a));
	snprintf(a.client_id, sizeof(a.client_id), "%s", client);
	snprintf(a.resource.id, sizeof(a.resource.id), "%s", res);
	a.resource.type = FZGW_RES_CIDR;
	a.resource.addr.family = 4;
	a.resource.addr.bytes[0] = 10;
	a.resource.addr.bytes[1] = 200;
	a.resource.prefix_len = 24;
	a.expires_at = exp;
	fzgw_bus_publish(&core.bus, &dp_ctx, FZGW_EV_PEER_AUTHORIZED, &a, sizeof(a));
}

static void revoke(const char *client, const char *res)
{
	struct fzgw_ev_revoke r;

	memset(&r, 0, sizeof(r));
	snprintf(r.client_id, sizeof(r.client_id), "%s", client);
	snprintf(r.resource_id, sizeof(r.resource_id), "%s", res);
	fzgw_bus_publish(&core.bus, &dp_ctx, FZGW_EV_ACCESS_REVOKED, &r, sizeof(r));
}

static size_t count(const struct fzgw_grants *g, const char *client)
{
	size_t n;

	fzgw_grants_of(g, client, &n);
	return n;
}

static void test_grants(void **st)
{
	struct fzgw_grants g;
	const struct fzgw_grant *gr;
	struct fzgw_ev_peer gone;
	struct fzgw_ev_resource ru;
	char name[40];
	size_t n;

	(void)st;
	memset(&core, 0, sizeof(core));
	dp_ctx.core = &core;
	strcpy(dp_ctx.name, "core");
	assert_int_equal(fzgw_grants_start(&g, &core), 0);
	authorize("c1", "lan", 1900000000);
	authorize("c1", "dns", 0);
	authorize("c2", "lan", 0);
	gr = fzgw_grants_of(&g, "c1", &n);
	assert_int_equal(n, 2);
	assert_string_equal(gr[0].resource_id, "lan");
	assert_string_equal(gr[0].address, "10.200.0.0/24");
	assert_int_equal(gr[0].expires_at, 1900000000);
	/* renewal: the same grant, a new expiry */
	authorize("c1", "lan", 1900000600);
	gr = fzgw_grants_of(&g, "c1", &n);
	assert_int_equal(n, 2);
	assert_int_equal(gr[0].expires_at, 1900000600);
	/* a resource's new definition reaches every grant of it */
	memset(&ru, 0, sizeof(ru));
	strcpy(ru.resource.id, "lan");
	ru.resource.type = FZGW_RES_DNS;
	ru.resource.pattern = "*.corp.example";
	fzgw_bus_publish(&core.bus, &dp_ctx, FZGW_EV_RESOURCE_UPDATED, &ru, sizeof(ru));
	assert_string_equal(fzgw_grants_of(&g, "c2", &n)[0].address, "*.corp.example");
	/* one grant revoked, then every grant of c1 */
	revoke("c1", "dns");
	assert_int_equal(count(&g, "c1"), 1);
	revoke("c1", "nope");
	assert_int_equal(count(&g, "c1"), 1);
	revoke("c1", "");
	assert_int_equal(count(&g, "c1"), 0);
	assert_null(fzgw_grants_of(&g, "c1", &n));
	/* the data plane removed c2's tunnel */
	memset(&gone, 0, sizeof(gone));
	strcpy(gone.client_id, "c2");
	fzgw_bus_publish(&core.bus, &dp_ctx, FZGW_EV_PEER_REMOVED, &gone, sizeof(gone));
	assert_int_equal(count(&g, "c2"), 0);
	assert_int_equal(g.n_clients, 0);
	/* short or unterminated payloads are ignored */
	memset(&gone, 'x', sizeof(gone));
	fzgw_bus_publish(&core.bus, &dp_ctx, FZGW_EV_PEER_REMOVED, &gone, sizeof(gone));
	fzgw_bus_publish(&core.bus, &dp_ctx, FZGW_EV_PEER_AUTHORIZED, &gone, sizeof(gone));
	/* many clients and grants, then stop with them all held: LeakSanitizer checks the frees */
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "client-%d", i);
		authorize(name, "a", i);
		authorize(name, "b", i);
		authorize(name, "c", i);
		authorize(name, "d", i);
		authorize(name, "e", i);
	}
	assert_int_equal(g.n_clients, 3000);
	assert_int_equal(count(&g, "client-2999"), 5);
	assert_int_equal(fzgw_grants_of(&g, "client-1234", &n)[4].expires_at, 1234);
	fzgw_grants_stop(&g);
	/* unsubscribed: later events reach nobody */
	assert_int_equal(fzgw_bus_publish(&core.bus, &dp_ctx, FZGW_EV_PEER_REMOVED, &gone, sizeof(gone)), 0);
	fzgw_grants_stop(&g); /* twice is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_parse_too_long),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_pcap_headers),
		cmocka_unit_test(test_pcap_reader_boundaries),
		cmocka_unit_test(test_pcap_reader_refuses),
		cmocka_unit_test(test_grants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
