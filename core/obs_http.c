/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The health and metrics HTTP server. libevent's evhttp parses the requests, on the loop
 * thread: every answer is computed at once from what the loop already knows (nothing blocks).
 * Only GET and HEAD (others: 405 from evhttp), headers up to 8 KiB, no body, 10 s timeouts.
 */
#include "obs_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct fzgw_http {
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct fzgw_http_ops ops;
	uint64_t counts[FZGW_HTTP_OUTCOMES];
};

bool fzgw_http_addr_off(const char *s)
{
	return !s || !*s || !strcmp(s, "off");
}

int fzgw_http_parse_addr(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h = s;
	size_t hl;
	unsigned long p;
	char *end;
	unsigned char bin[16];
	char tmp[INET6_ADDRSTRLEN];

	if (!s || !*s || strlen(s) >= FZGW_HTTP_ADDR_MAX)
		return -EINVAL;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		if (!(colon = strrchr(s, ':')) || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL; /* an IPv6 address needs its brackets */
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(tmp) || hl >= hostlen)
		return -EINVAL;
	memcpy(tmp, h, hl);
	tmp[hl] = '\0';
	if (inet_pton(*s == '[' ? AF_INET6 : AF_INET, tmp, bin) != 1)
		return -EINVAL;
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || p > 65535)
		return -EINVAL;
	memcpy(host, tmp, hl + 1);
	*port = (uint16_t)p;
	return 0;
}

static void reply(struct fzgw_http *h, struct evhttp_request *req, int code, const char *reason,
		  const char *type, const char *body, size_t len, enum fzgw_http_outcome outcome)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	h->counts[outcome]++;
	evhttp_add_header(hdr, "Content-Type", type);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		char n[24];

		/* what a GET would get, without the body (evhttp would send it) */
		snprintf(n, sizeof(n), "%zu", len);
		evhttp_add_header(hdr, "Content-Length", n);
	} else if (b && len) {
		evbuffer_add(b, body, len);
	}
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct fzgw_http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	char why[512];

	if (!path || path[0] != '/') {
		reply(h, req, HTTP_BADREQUEST, "Bad Request", "text/plain; charset=utf-8",
		      "bad request target\n", 19, FZGW_HTTP_BAD_REQUEST);
		return;
	}
	if (!strcmp(path, "/healthz")) {
		/* the loop answered: it runs (the original's empty 200) */
		reply(h, req, HTTP_OK, "OK", "text/plain; charset=utf-8", "", 0, FZGW_HTTP_OK);
	} else if (!strcmp(path, "/readyz")) {
		why[0] = '\0';
		if (h->ops.ready && h->ops.ready(h->ops.arg, why, sizeof(why) - 1)) {
			reply(h, req, HTTP_OK, "OK", "text/plain; charset=utf-8", "", 0, FZGW_HTTP_OK);
		} else {
			size_t n = strnlen(why, sizeof(why) - 1);

			why[n++] = '\n';
			reply(h, req, 503, "Service Unavailable", "text/plain; charset=utf-8", why, n,
			      FZGW_HTTP_NOT_READY);
		}
	} else if (!strcmp(path, "/metrics")) {
		struct fzgw_prom p = { 0 };

		if (h->ops.metrics)
			h->ops.metrics(h->ops.arg, &p);
		if (p.oom)
			reply(h, req, HTTP_INTERNAL, "Internal Server Error", "text/plain; charset=utf-8",
			      "out of memory\n", 14, FZGW_HTTP_BAD_REQUEST);
		else
			reply(h, req, HTTP_OK, "OK", FZGW_PROM_CONTENT_TYPE, p.buf ? p.buf : "", p.len,
			      FZGW_HTTP_OK);
		fzgw_prom_free(&p);
	} else {
		reply(h, req, HTTP_NOTFOUND, "Not Found", "text/plain; charset=utf-8",
		      "not found: try /healthz, /readyz or /metrics\n", 45, FZGW_HTTP_NOT_FOUND);
	}
}

struct fzgw_http *fzgw_http_start(struct event_base *base, const char *addr,
				  const struct fzgw_http_ops *ops, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN];
	struct fzgw_http *h;
	uint16_t port;
	int e;

	if (fzgw_http_parse_addr(addr, host, sizeof(host), &port) < 0) {
		snprintf(err, errlen,
			 "health check address \"%.64s\": expected IPv4:PORT or [IPv6]:PORT (or \"off\")",
			 addr ? addr : "");
		return NULL;
	}
	if (!(h = calloc(1, sizeof(*h))) || !(h->http = evhttp_new(base))) {
		snprintf(err, errlen, "out of memory for the health check server");
		free(h);
		return NULL;
	}
	h->ops = *ops;
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(h->http, FZGW_HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(h->http, 0);
	evhttp_set_timeout(h->http, FZGW_HTTP_TIMEOUT_S);
	evhttp_set_default_content_type(h->http, "text/plain; charset=utf-8");
	evhttp_set_gencb(h->http, on_request, h);
	errno = 0;
	if (!(h->sock = evhttp_bind_socket_with_handle(h->http, host, port))) {
		e = errno ? errno : EADDRNOTAVAIL;
		snprintf(err, errlen, "health check server: cannot listen on %s: %s", addr, strerror(e));
		evhttp_free(h->http);
		free(h);
		return NULL;
	}
	return h;
}

uint16_t fzgw_http_port(const struct fzgw_http *h)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd;

	if (!h || !h->sock || (fd = evhttp_bound_socket_get_fd(h->sock)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

void fzgw_http_counts(const struct fzgw_http *h, uint64_t out[FZGW_HTTP_OUTCOMES])
{
	for (int i = 0; i < FZGW_HTTP_OUTCOMES; i++)
		out[i] = h ? h->counts[i] : 0;
}

struct fzgw_http *fzgw_http_free(struct fzgw_http *h)
{
	if (!h)
		return NULL;
	evhttp_free(h->http);
	free(h);
	return NULL;
}
