/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes what a server sends a WebSocket client: the upgrade answer, then frames. Byte 0
 * picks the mode: bit 0 parses the rest as the HTTP answer first (a 101 with the right
 * Sec-WebSocket-Accept lets the remainder through as frames; otherwise the stream starts
 * upgraded), bit 1 sends a message after each chunk, bit 2 starts our close at the end, bit 3
 * hands every text message to the portal message parser. Byte 1 is the chunk size the
 * stream is fed in (0: 1 byte). Promises checked: the head length stays inside the input,
 * messages are UTF-8 and within 1 MiB, every frame we write is masked.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../modules/portal/http.h"
#include "../modules/portal/msg.h"
#include "../modules/portal/ws.h"
#include "fuzz.h"

/* RFC 6455's example key and its accept value */
#define ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

struct sink {
	bool parse;
	size_t written;
	bool frame_start; /* the next byte written starts a frame */
};

static void on_text(void *user, const char *msg, size_t len)
{
	struct sink *s = user;
	struct pz_err e = { .why = NULL };
	struct pz_msg m;

	CHECK(len <= PZ_MAX_FRAME);
	CHECK(pz_utf8_valid((const uint8_t *)msg, len));
	if (s->parse && pz_msg_parse(msg, len, &m, &e) == 0)
		pz_msg_clear(&m);
}

static int on_write(void *user, const uint8_t *d, size_t len)
{
	struct sink *s = user;

	/* wslay writes a frame's header in one piece: its mask bit must be set */
	if (s->frame_start && len >= 2)
		CHECK(d[1] & 0x80);
	s->frame_start = false;
	s->written += len;
	return 0;
}

static const struct pz_ws_ops ops = { on_text, on_write };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink s = { 0 };
	struct pz_ws *ws;
	uint8_t mode;
	size_t chunk;

	if (size < 2)
		return 0;
	mode = data[0];
	chunk = data[1] ? data[1] : 1;
	data += 2;
	size -= 2;
	s.parse = mode & 8;
	if (mode & 1) {
		struct pz_http_resp r;
		int n = pz_http_response((const char *)data, size, ACCEPT, 1800000000, &r);

		CHECK(n <= (int)size && n <= PZ_HTTP_HEAD_MAX);
		if (n < 0)
			CHECK(r.why != NULL);
		if (n > 0)
			CHECK(r.status >= 0 && r.status <= 999 && (!r.upgraded || r.status == 101));
		if (n <= 0 || !r.upgraded)
			return 0;
		data += n;
		size -= (size_t)n;
	}
	if (pz_ws_new(&ws, &ops, &s) < 0)
		return 0;
	while (size) {
		size_t k = size < chunk ? size : chunk;
		int rc = pz_ws_feed(ws, data, k);

		data += k;
		size -= k;
		if (rc < 0 || pz_ws_finished(ws))
			break;
		if (mode & 2) {
			s.frame_start = true;
			pz_ws_send_text(ws, "{\"topic\":\"phoenix\"}", 19);
			s.frame_start = false;
		}
	}
	if (mode & 4)
		pz_ws_close(ws, 1000);
	pz_ws_free(ws);
	return 0;
}
