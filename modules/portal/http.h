/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP/1.1 upgrade to WebSocket (RFC 6455 section 4): our request, the portal's answer. */
#ifndef FZGW_PORTAL_HTTP_H
#define FZGW_PORTAL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PZ_WS_KEY_LEN 24      /* base64 of 16 bytes */
#define PZ_WS_ACCEPT_LEN 28   /* base64 of a SHA-1 */
#define PZ_HTTP_HEAD_MAX 16384

struct pz_http_resp {
	int status;
	char reason[64];
	bool upgraded;        /* 101 with every header right: the WebSocket is open */
	const char *why;      /* a static text when a 101 was refused, or the parse failed */
	int64_t retry_after;  /* seconds, -1 when absent or unreadable */
	char body[256];       /* the start of an error body, printable characters only */
};

/* A random Sec-WebSocket-Key and the Sec-WebSocket-Accept it calls for. */
void pz_ws_key(char key[PZ_WS_KEY_LEN + 1]);
void pz_ws_accept(const char *key, char accept[PZ_WS_ACCEPT_LEN + 1]);

/* The GET request. Returns its length, or -E2BIG. @token is copied into @out only. */
int pz_http_request(char *out, size_t len, const char *target, const char *host_header,
		    const char *key, const char *user_agent, const char *token);

/*
 * The response head in @buf: 0 while incomplete, else the bytes it took (what follows is
 * WebSocket data); -E2BIG past PZ_HTTP_HEAD_MAX; -EPROTO when malformed (@out->why says
 * how). @now is the wall clock for an HTTP-date Retry-After. A non-101 answer is a success
 * of parsing: see @out->status. @out->body gets what of the body is in @buf already.
 */
int pz_http_response(const char *buf, size_t len, const char *accept, int64_t now,
		     struct pz_http_resp *out);
/* "120" or an IMF-fixdate: seconds from @now (0 when past); -1 when neither. */
int64_t pz_retry_after(const char *value, int64_t now);

#endif
