/* SPDX-License-Identifier: Apache-2.0 */
/* The WebSocket upgrade (RFC 6455 4.2.2 example) and framing: messages, pings, closes, limits. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "msg.h"
#include "ws.h"

/* ------------------------------------------------------------ the upgrade */

static void test_accept(void **state)
{
	char acc[PZ_WS_ACCEPT_LEN + 1], key[PZ_WS_KEY_LEN + 1], key2[PZ_WS_KEY_LEN + 1];

	(void)state;
	/* RFC 6455 section 1.3 */
	pz_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", acc);
	assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	pz_ws_key(key);
	pz_ws_key(key2);
	assert_int_equal(strlen(key), 24);
	assert_string_not_equal(key, key2);
}

static void test_request(void **state)
{
	char buf[1024];
	int n;

	(void)state;
	n = pz_http_request(buf, sizeof(buf), "/gateway/v2/websocket?external_id=a", "portal:8443",
			    "dGhlIHNhbXBsZSBub25jZQ==", "Debian/12 gateway/0.1.0 (x86_64; 6.1.0)",
			    "tok");
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "GET /gateway/v2/websocket?external_id=a HTTP/1.1\r\n"));
	assert_non_null(strstr(buf, "\r\nHost: portal:8443\r\n"));
	assert_non_null(strstr(buf, "\r\nX-Authorization: Bearer tok\r\n"));
	assert_non_null(strstr(buf, "\r\nSec-WebSocket-Version: 13\r\n"));
	assert_non_null(strstr(buf, "\r\nUser-Agent: Debian/12 gateway/0.1.0 (x86_64; 6.1.0)\r\n"));
	assert_int_equal(memcmp(buf + n - 4, "\r\n\r\n", 4), 0);
	assert_int_equal(pz_http_request(buf, 50, "/", "h", "k", "ua", "tok"), -E2BIG);
}

#define ACC "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define OK_HEAD "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"

struct resp_case {
	const char *text;
	int rc;          /* > 0: the head's length is checked as strlen up to "\r\n\r\n" */
	int status;
	bool upgraded;
	int64_t retry_after;
};

static const struct resp_case resps[] = {
	{ OK_HEAD "Sec-WebSocket-Accept: " ACC "\r\n\r\n", 1, 101, true, -1 },
	{ "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n"
	  "sec-websocket-accept:" ACC "  \r\n\r\n", 1, 101, true, -1 },
	{ "HTTP/1.1 101\n"
	  "Upgrade: websocket\nConnection: upgrade\nSec-WebSocket-Accept: " ACC "\n\n",
	  1, 101, true, -1 },
	{ OK_HEAD "Sec-WebSocket-Accept: xxx" ACC "\r\n\r\n", -EPROTO, 101, false, -1 },
	{ OK_HEAD "\r\n", -EPROTO, 101, false, -1 },
	{ OK_HEAD "Sec-WebSocket-Accept: " ACC "\r\nSec-WebSocket-Accept: " ACC "\r\n\r\n", -EPROTO,
	  101, false, -1 },
	{ OK_HEAD "Sec-WebSocket-Accept: " ACC
		  "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
	  -EPROTO, 101, false, -1 },
	{ "HTTP/1.1 101 x\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " ACC "\r\n\r\n", -EPROTO,
	  101, false, -1 },
	{ "HTTP/1.1 101 x\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " ACC "\r\n\r\n", -EPROTO,
	  101, false, -1 },
	{ OK_HEAD " folded\r\nSec-WebSocket-Accept: " ACC "\r\n\r\n", -EPROTO, 101, false, -1 },
	{ "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/problem+json\r\n\r\n"
	  "{\"error\":{\"reason\":\"invalid_token\"}}", 1, 401, false, -1 },
	{ "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\n\r\n", 1, 503, false, 7 },
	{ "HTTP/1.1 503 Service Unavailable\r\nRetry-After: soon\r\n\r\n", 1, 503, false, -1 },
	{ "HTTP/1.1 409 Conflict\r\n\r\n", 1, 409, false, -1 },
	{ "HTTP/1.1 101 Switching", 0, 0, false, -1 },
	{ "HTTP/2 101 x\r\n\r\n", -EPROTO, 0, false, -1 },
	{ "SSH-2.0-OpenSSH\r\n\r\n", -EPROTO, 0, false, -1 },
	{ "HTTP/1.1 1x1 x\r\n\r\n", -EPROTO, 0, false, -1 },
	{ "HTTP/1.1 200 OK\r\nbad header\r\n\r\n", -EPROTO, 200, false, -1 },
};

static void test_response(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(resps) / sizeof(resps[0]); i++) {
		const struct resp_case *c = &resps[i];
		struct pz_http_resp r;
		int rc = pz_http_response(c->text, strlen(c->text), ACC, 1000, &r);
		const char *end = strstr(c->text, "\r\n\r\n");
		int want = c->rc;

		if (want == 1)
			want = end ? (int)(end - c->text) + 4
				   : (int)(strstr(c->text, "\n\n") - c->text) + 2;
		if (rc != want || (rc > 0 && (r.status != c->status || r.upgraded != c->upgraded ||
					      r.retry_after != c->retry_after))) {
			print_error(
			    "case %zu: rc %d (want %d) status %d upgraded %d retry %lld why %s\n",
			    i, rc, want, r.status, r.upgraded, (long long)r.retry_after,
			    r.why ? r.why : "-");
			fail();
		}
	}
	/* the body of an error answer, kept for the log */
	{
		struct pz_http_resp r;
		const char *t = resps[10].text;

		assert_true(pz_http_response(t, strlen(t), ACC, 0, &r) > 0);
		assert_string_equal(r.body, "{\"error\":{\"reason\":\"invalid_token\"}}");
	}
	/* a head that never ends */
	{
		char *big = malloc(PZ_HTTP_HEAD_MAX + 10);
		struct pz_http_resp r;

		memset(big, 'a', PZ_HTTP_HEAD_MAX + 10);
		memcpy(big, "HTTP/1.1 101 x\r\n", 16);
		assert_int_equal(pz_http_response(big, PZ_HTTP_HEAD_MAX + 10, ACC, 0, &r), -E2BIG);
		assert_int_equal(pz_http_response(big, 100, ACC, 0, &r), 0);
		free(big);
	}
}

static void test_retry_after(void **state)
{
	(void)state;
	assert_int_equal(pz_retry_after("120", 0), 120);
	assert_int_equal(pz_retry_after("0", 0), 0);
	assert_int_equal(pz_retry_after("-1", 0), -1);
	assert_int_equal(pz_retry_after("12.5", 0), -1);
	assert_int_equal(pz_retry_after("", 0), -1);
	/* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 */
	assert_int_equal(pz_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412420), 60);
	assert_int_equal(pz_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0);
	assert_int_equal(pz_retry_after("Wed, 21 Oct 2015 07:28:00 UTC", 0), -1);
}

/* ------------------------------------------------------------ framing */

struct sink {
	uint8_t out[4096];
	size_t out_len;
	char msgs[8][256];
	size_t msg_len[8];
	int n_msgs;
	bool fail_write;
};

static void on_text(void *user, const char *msg, size_t len)
{
	struct sink *s = user;

	if (s->n_msgs < 8) {
		memcpy(s->msgs[s->n_msgs], msg, len < 255 ? len : 255);
		s->msg_len[s->n_msgs++] = len;
	}
}

static int on_write(void *user, const uint8_t *data, size_t len)
{
	struct sink *s = user;

	if (s->fail_write)
		return -EPIPE;
	if (s->out_len + len <= sizeof(s->out)) {
		memcpy(s->out + s->out_len, data, len);
		s->out_len += len;
	}
	return 0;
}

static const struct pz_ws_ops sink_ops = { on_text, on_write };

/* A server frame (never masked). */
static size_t frame(uint8_t *buf, bool fin, uint8_t opcode, const void *payload, size_t len)
{
	size_t n = 0;

	buf[n++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
	if (len < 126) {
		buf[n++] = (uint8_t)len;
	} else if (len < 65536) {
		buf[n++] = 126;
		buf[n++] = (uint8_t)(len >> 8);
		buf[n++] = (uint8_t)len;
	} else {
		buf[n++] = 127;
		for (int i = 7; i >= 0; i--)
			buf[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (payload)
		memcpy(buf + n, payload, len);
	return n + (payload ? len : 0);
}

/* Our frames are masked; this unmasks the first one in @s->out. */
static uint8_t sent_frame(struct sink *s, uint8_t *payload, size_t *len)
{
	uint8_t op = s->out[0] & 0x0f, *mask;
	size_t n = s->out[1] & 0x7f, off = 2;

	assert_true(s->out[1] & 0x80); /* a client must mask */
	if (n == 126) {
		n = ((size_t)s->out[2] << 8) | s->out[3];
		off = 4;
	}
	mask = s->out + off;
	off += 4;
	for (size_t i = 0; i < n; i++)
		payload[i] = s->out[off + i] ^ mask[i % 4];
	*len = n;
	return op;
}

static void test_messages(void **state)
{
	struct pz_ws *ws;
	struct sink s = { 0 };
	uint8_t buf[512], p[256];
	size_t n, plen;

	(void)state;
	assert_int_equal(pz_ws_new(&ws, &sink_ops, &s), 0);
	/* a text message in two fragments with a ping in between, fed a byte at a time */
	n = frame(buf, false, 0x1, "{\"a\":", 5);
	n += frame(buf + n, true, 0x9, "hi", 2);
	n += frame(buf + n, true, 0x0, "1}", 2);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pz_ws_feed(ws, buf + i, 1), 0);
	assert_int_equal(s.n_msgs, 1);
	assert_int_equal(s.msg_len[0], 7);
	assert_memory_equal(s.msgs[0], "{\"a\":1}", 7);
	/* the ping was answered with a pong carrying the same data */
	assert_int_equal(sent_frame(&s, p, &plen), 0xA);
	assert_int_equal(plen, 2);
	assert_memory_equal(p, "hi", 2);
	s.out_len = 0;
	/* our text goes out masked */
	assert_int_equal(pz_ws_send_text(ws, "hello", 5), 0);
	assert_int_equal(sent_frame(&s, p, &plen), 0x1);
	assert_memory_equal(p, "hello", 5);
	assert_false(pz_ws_finished(ws));
	s.out_len = 0;
	/* the portal closes with 4000: we answer with the same code, then we are done */
	p[0] = 0x0f;
	p[1] = 0xa0;
	n = frame(buf, true, 0x8, p, 2);
	assert_int_equal(pz_ws_feed(ws, buf, n), 0);
	assert_int_equal(pz_ws_close_code(ws), 4000);
	assert_int_equal(sent_frame(&s, p, &plen), 0x8);
	assert_int_equal(((unsigned)p[0] << 8) | p[1], 4000);
	assert_true(pz_ws_finished(ws));
	pz_ws_free(ws);
}

/* Feeds one server frame and returns the close code we sent (0: none). */
static uint16_t close_after(uint8_t opcode, const void *payload, size_t len, int *n_msgs)
{
	struct pz_ws *ws;
	struct sink s = { 0 };
	uint8_t *buf = malloc(len + 16), p[256];
	size_t n = frame(buf, true, opcode, payload, len), plen;
	uint16_t code = 0;

	assert_int_equal(pz_ws_new(&ws, &sink_ops, &s), 0);
	pz_ws_feed(ws, buf, n);
	if (s.out_len && sent_frame(&s, p, &plen) == 0x8 && plen >= 2)
		code = (uint16_t)(((unsigned)p[0] << 8) | p[1]);
	*n_msgs = s.n_msgs;
	pz_ws_free(ws);
	free(buf);
	return code;
}

static void test_refusals(void **state)
{
	uint8_t *big = calloc(1, PZ_MAX_FRAME + 1);
	int n;

	(void)state;
	memset(big, 'a', PZ_MAX_FRAME + 1);
	assert_int_equal(close_after(0x2, "\x01\x02", 2, &n), PZ_WS_UNSUPPORTED);
	assert_int_equal(n, 0);
	assert_int_equal(close_after(0x1, "\xc3\x28", 2, &n), PZ_WS_BAD_DATA);
	assert_int_equal(close_after(0x1, "\xed\xa0\x80", 3, &n), PZ_WS_BAD_DATA); /* a surrogate */
	assert_int_equal(n, 0);
	assert_int_equal(close_after(0x1, big, PZ_MAX_FRAME + 1, &n), PZ_WS_TOO_BIG);
	assert_int_equal(n, 0);
	assert_int_equal(close_after(0x1, big, PZ_MAX_FRAME, &n), 0);
	assert_int_equal(n, 1);
	/* the original's limit is 64 MiB: a 2 MiB init (about 18,000 authorizations) passes */
	assert_int_equal(PZ_MAX_FRAME, 64u << 20);
	assert_int_equal(close_after(0x1, big, 2u << 20, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(close_after(0x3, "x", 1, &n), 1002); /* a reserved opcode */
	free(big);
	assert_true(pz_utf8_valid((const uint8_t *)"h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10));
	assert_false(pz_utf8_valid((const uint8_t *)"\xe2\x82", 2));
	assert_false(pz_utf8_valid((const uint8_t *)"\xc0\xaf", 2));
	assert_false(pz_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4));
}

static void test_write_failure(void **state)
{
	struct pz_ws *ws;
	struct sink s = { 0 };

	(void)state;
	assert_int_equal(pz_ws_new(&ws, &sink_ops, &s), 0);
	s.fail_write = true;
	assert_int_equal(pz_ws_send_text(ws, "x", 1), -EPIPE);
	assert_true(pz_ws_finished(ws));
	assert_int_equal(pz_ws_feed(ws, (const uint8_t *)"\x81\x00", 2), -EPIPE);
	pz_ws_free(ws);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_write_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
