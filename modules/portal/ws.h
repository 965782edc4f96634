/* SPDX-License-Identifier: Apache-2.0 */
/* WebSocket framing over wslay, without I/O: bytes from the portal in, frames to it out. */
#ifndef FZGW_PORTAL_WS_H
#define FZGW_PORTAL_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 6455 close codes we send. */
enum {
	PZ_WS_NORMAL = 1000,
	PZ_WS_UNSUPPORTED = 1003, /* a binary message: the portal speaks text only */
	PZ_WS_BAD_DATA = 1007,    /* a text message that is not UTF-8 */
	PZ_WS_TOO_BIG = 1009,     /* over PZ_MAX_FRAME (queued by wslay itself) */
};

struct pz_ws_ops {
	/* One complete text message (valid UTF-8, at most PZ_MAX_FRAME bytes). */
	void (*text)(void *user, const char *msg, size_t len);
	/* Bytes for the portal. 0, or -errno to give the connection up. */
	int (*write)(void *user, const uint8_t *data, size_t len);
};

struct pz_ws;

int pz_ws_new(struct pz_ws **out, const struct pz_ws_ops *ops, void *user);
struct pz_ws *pz_ws_free(struct pz_ws *ws);
/* Bytes read from the portal: frames are decoded, messages delivered, pings answered and a
 * close answered with the same code. 0, or -EPIPE when the WebSocket cannot go on. */
int pz_ws_feed(struct pz_ws *ws, const uint8_t *data, size_t len);
int pz_ws_send_text(struct pz_ws *ws, const char *text, size_t len);
/* Starts the closing handshake. */
int pz_ws_close(struct pz_ws *ws, uint16_t code);
/* Nothing more will be read or written: the close handshake is over, or a fatal error. */
bool pz_ws_finished(const struct pz_ws *ws);
/* The code of the portal's close frame (1005 when it had none), 0 when none came. */
uint16_t pz_ws_close_code(const struct pz_ws *ws);
/* The code we sent in our close frame, 0 when none. */
uint16_t pz_ws_sent_code(const struct pz_ws *ws);
bool pz_utf8_valid(const uint8_t *s, size_t len);

#endif
