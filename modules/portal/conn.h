/* SPDX-License-Identifier: Apache-2.0 */
/* One connection attempt and its life: dial, TLS, the upgrade, then WebSocket messages. */
#ifndef FZGW_PORTAL_CONN_H
#define FZGW_PORTAL_CONN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "url.h"

#define PZ_TCP_TIMEOUT_MS 5000
#define PZ_ATTEMPT_TIMEOUT_MS 15000
#define PZ_CLOSE_WAIT_MS 1000
#define PZ_OUTPUT_MAX (4u << 20) /* bytes waiting for a portal that does not read */

struct event_base;
struct evdns_base;
struct pz_conn;

/* How a connection ended. */
enum pz_end_kind {
	PZ_END_DIAL = 1, /* resolving or connecting failed */
	PZ_END_TLS,      /* handshake or certificate */
	PZ_END_HTTP,     /* an answer other than 101: see status */
	PZ_END_UPGRADE,  /* a 101 we refused, or a malformed answer */
	PZ_END_TIMEOUT,  /* no WebSocket within PZ_ATTEMPT_TIMEOUT_MS */
	PZ_END_CLOSED,   /* the closing handshake (either side) */
	PZ_END_EOF,      /* the portal went away without a close */
	PZ_END_ERROR,    /* a socket, TLS or framing error on an open connection */
};

struct pz_end {
	enum pz_end_kind kind;
	int status;          /* PZ_END_HTTP */
	int64_t retry_after; /* PZ_END_HTTP: seconds, -1 when none */
	uint16_t close_code; /* PZ_END_CLOSED: the portal's code, or ours if it sent none */
	char detail[512];
};

struct pz_conn_ops {
	void (*open)(void *user); /* the WebSocket is up */
	void (*text)(void *user, const char *msg, size_t len);
	/* The connection is over; the user calls pz_conn_free() (also allowed in here). */
	void (*end)(void *user, const struct pz_end *why);
};

struct pz_conn_params {
	struct event_base *base;
	struct evdns_base *dns;
	SSL_CTX *tls;                  /* NULL for ws:// */
	const struct pz_url *url;
	char *request; /* the HTTP request, sodium_malloc()ed: taken over and wiped */
	size_t request_len;
	char accept[32];               /* the Sec-WebSocket-Accept the request calls for */
	int64_t (*wall_s)(void *user); /* for an HTTP-date Retry-After */
};

/* Starts an attempt. 0 (then exactly one end() follows) or -errno (@p->request freed). */
int pz_conn_start(struct pz_conn **out, struct pz_conn_params *p, const struct pz_conn_ops *ops,
		  void *user);
/* One text message. 0, or -errno: the connection is unusable (end() will follow). */
int pz_conn_send(struct pz_conn *c, const char *text, size_t len);
/* Begins the closing handshake with @code; end() follows within PZ_CLOSE_WAIT_MS. */
void pz_conn_close(struct pz_conn *c, uint16_t code);
/*
 * For the process's end, when the loop no longer runs: sends a close frame with @code
 * straight to the socket (after whatever is still buffered) and waits at most @wait_ms for
 * the portal's answer. No callback follows; free the connection next.
 */
void pz_conn_shutdown(struct pz_conn *c, uint16_t code, int wait_ms);
/* Frees at once, or when the callback in progress returns. No callback comes after it.
 * Accepts NULL. */
struct pz_conn *pz_conn_free(struct pz_conn *c);

#endif
