/* SPDX-License-Identifier: Apache-2.0 */
/* WebSocket framing over wslay, without I/O: bytes from the portal in, frames to it out. */
#include "ws.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#include "msg.h"

struct pz_ws {
	wslay_event_context_ptr ctx;
	const struct pz_ws_ops *ops;
	void *user;
	const uint8_t *in; /* what pz_ws_feed() was given, not yet handed to wslay */
	size_t in_len;
	int depth;         /* > 0 inside wslay: sending waits until it returns */
	bool failed;
};

bool pz_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
		       void *user_data)
{
	struct pz_ws *ws = user_data;
	size_t n = len < ws->in_len ? len : ws->in_len;

	(void)flags;
	if (!n) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	memcpy(buf, ws->in, n);
	ws->in += n;
	ws->in_len -= n;
	return (ssize_t)n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *user_data)
{
	struct pz_ws *ws = user_data;

	(void)flags;
	if (ws->ops->write(ws->user, data, len) < 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static int on_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user_data)
{
	(void)ctx;
	(void)user_data;
	randombytes_buf(buf, len);
	return 0;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
		   void *user_data)
{
	struct pz_ws *ws = user_data;

	switch (arg->opcode) {
	case WSLAY_TEXT_FRAME:
		/* after our close frame nothing is delivered; the portal's answer is awaited */
		if (wslay_event_get_close_sent(ctx))
			return;
		if (!pz_utf8_valid(arg->msg, arg->msg_length)) {
			wslay_event_queue_close(ctx, PZ_WS_BAD_DATA, NULL, 0);
			return;
		}
		ws->ops->text(ws->user, (const char *)arg->msg, arg->msg_length);
		/* wslay's copy, freed after this call: preshared keys travel in these messages */
		sodium_memzero((uint8_t *)(uintptr_t)arg->msg, arg->msg_length);
		break;
	case WSLAY_BINARY_FRAME:
		if (!wslay_event_get_close_sent(ctx))
			wslay_event_queue_close(ctx, PZ_WS_UNSUPPORTED, NULL, 0);
		break;
	default:
		break; /* wslay answers pings and closes itself */
	}
}

int pz_ws_new(struct pz_ws **out, const struct pz_ws_ops *ops, void *user)
{
	static const struct wslay_event_callbacks cbs = {
		.recv_callback = on_recv,
		.send_callback = on_send,
		.genmask_callback = on_genmask,
		.on_msg_recv_callback = on_msg,
	};
	struct pz_ws *ws = calloc(1, sizeof(*ws));

	*out = NULL;
	if (!ws)
		return -ENOMEM;
	ws->ops = ops;
	ws->user = user;
	if (wslay_event_context_client_init(&ws->ctx, &cbs, ws) != 0) {
		free(ws);
		return -ENOMEM;
	}
	/* larger messages get a close with 1009 from wslay, and no more reading */
	wslay_event_config_set_max_recv_msg_length(ws->ctx, PZ_MAX_FRAME);
	*out = ws;
	return 0;
}

struct pz_ws *pz_ws_free(struct pz_ws *ws)
{
	if (ws) {
		wslay_event_context_free(ws->ctx);
		free(ws);
	}
	return NULL;
}

static int flush(struct pz_ws *ws)
{
	if (ws->failed)
		return -EPIPE;
	if (ws->depth)
		return 0; /* the outermost call sends */
	if (wslay_event_want_write(ws->ctx) && wslay_event_send(ws->ctx) != 0) {
		ws->failed = true;
		return -EPIPE;
	}
	return 0;
}

int pz_ws_feed(struct pz_ws *ws, const uint8_t *data, size_t len)
{
	int rc;

	if (ws->failed)
		return -EPIPE;
	ws->in = data;
	ws->in_len = len;
	ws->depth++;
	rc = wslay_event_recv(ws->ctx);
	ws->depth--;
	ws->in = NULL;
	ws->in_len = 0;
	if (rc != 0) {
		ws->failed = true;
		return -EPIPE;
	}
	return flush(ws);
}

int pz_ws_send_text(struct pz_ws *ws, const char *text, size_t len)
{
	struct wslay_event_msg msg = { WSLAY_TEXT_FRAME, (const uint8_t *)text, len };

	if (ws->failed || wslay_event_queue_msg(ws->ctx, &msg) != 0)
		return -EPIPE;
	return flush(ws);
}

int pz_ws_close(struct pz_ws *ws, uint16_t code)
{
	if (ws->failed)
		return -EPIPE;
	if (!wslay_event_get_close_sent(ws->ctx))
		wslay_event_queue_close(ws->ctx, code, NULL, 0);
	return flush(ws);
}

bool pz_ws_finished(const struct pz_ws *ws)
{
	return ws->failed ||
	       (!wslay_event_want_read(ws->ctx) && !wslay_event_want_write(ws->ctx));
}

uint16_t pz_ws_close_code(const struct pz_ws *ws)
{
	return wslay_event_get_close_received(ws->ctx) ?
		       wslay_event_get_status_code_received(ws->ctx) : 0;
}

uint16_t pz_ws_sent_code(const struct pz_ws *ws)
{
	return wslay_event_get_close_sent(ws->ctx) ? wslay_event_get_status_code_sent(ws->ctx) : 0;
}
