/* SPDX-License-Identifier: Apache-2.0 */
/* The health and metrics HTTP server (libevent's evhttp on the loop): /healthz, /readyz, /metrics. */
#ifndef FZGW_OBS_HTTP_H
#define FZGW_OBS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prom.h"

struct event_base;
struct fzgw_http;

#define FZGW_HTTP_ADDR_DEFAULT "0.0.0.0:8080"
#define FZGW_HTTP_ADDR_MAX 64
#define FZGW_HTTP_TIMEOUT_S 10   /* a connection idle this long (reading or writing) is closed */
#define FZGW_HTTP_HEADERS_MAX 8192 /* request line and headers together */

enum fzgw_http_outcome {
	FZGW_HTTP_OK = 0,      /* 200 */
	FZGW_HTTP_NOT_READY,   /* /readyz 503 */
	FZGW_HTTP_NOT_FOUND,   /* 404 */
	FZGW_HTTP_BAD_REQUEST, /* 400: a request target that is not a path */
	FZGW_HTTP_OUTCOMES
};

struct fzgw_http_ops {
	/* Is the gateway ready? If not, one line in @why (shown in /readyz's 503). */
	bool (*ready)(void *arg, char *why, size_t len);
	/* Renders /metrics into @p. */
	void (*metrics)(void *arg, struct fzgw_prom *p);
	void *arg;
};

/* Parses "IPv4:PORT" or "[IPv6]:PORT" (IP literals only, as the original's SocketAddr).
 * 0, or -EINVAL. @host gets the address without brackets. */
int fzgw_http_parse_addr(const char *s, char *host, size_t hostlen, uint16_t *port);
/* True for the values that turn the server off: "" and "off". */
bool fzgw_http_addr_off(const char *s);
/* Binds @addr and serves on @base. NULL with one line in @err (bad address, bind failure). */
struct fzgw_http *fzgw_http_start(struct event_base *base, const char *addr,
				  const struct fzgw_http_ops *ops, char *err, size_t errlen);
/* The bound port (useful after binding port 0), 0 if unknown. */
uint16_t fzgw_http_port(const struct fzgw_http *h);
/* Requests answered, by enum fzgw_http_outcome. */
void fzgw_http_counts(const struct fzgw_http *h, uint64_t out[FZGW_HTTP_OUTCOMES]);
/* Closes the listener and every connection. Accepts NULL; returns NULL. */
struct fzgw_http *fzgw_http_free(struct fzgw_http *h);

#endif
