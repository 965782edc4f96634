/* SPDX-License-Identifier: Apache-2.0 */
/* Resolving the portal's host and dialling every address at once: the first to connect wins. */
#include "dial.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct slot {
	struct pz_dial *d;
	int fd;
	struct event *ev;
	struct sockaddr_storage sa;
	socklen_t len;
};

struct pz_dial {
	struct event_base *base;
	struct evdns_getaddrinfo_request *req;
	struct event *report;     /* a 0 ms timer: results go out from the loop */
	uint16_t port;
	uint32_t timeout_ms;
	pz_dial_fn done;
	void *user;
	int n, pending;
	struct slot slot[PZ_DIAL_MAX];
	bool finished;
	int fd, err;
	char detail[512];
};

static void note(struct pz_dial *d, const struct sockaddr *sa, const char *what)
{
	char a[INET6_ADDRSTRLEN] = "?";
	size_t o = strlen(d->detail);
	uint16_t port;

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof(a));
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof(a));
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	}
	snprintf(d->detail + o, sizeof(d->detail) - o, sa->sa_family == AF_INET6 ? "%s[%s]:%u: %s" :
		 "%s%s:%u: %s", o ? ", " : "", a, port, what);
}

static void slot_close(struct slot *s)
{
	if (s->ev)
		event_free(s->ev);
	s->ev = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void finish(struct pz_dial *d, int fd, int err)
{
	struct timeval now = { 0, 0 };

	if (d->finished)
		return;
	d->finished = true;
	d->fd = fd;
	d->err = err;
	for (int i = 0; i < d->n; i++)
		slot_close(&d->slot[i]);
	event_add(d->report, &now);
}

static void on_report(evutil_socket_t fd, short what, void *arg)
{
	struct pz_dial *d = arg;
	int out = d->fd;

	(void)fd;
	(void)what;
	d->fd = -1; /* handed over */
	d->done(d->user, out, d->err, d->detail);
}

static void slot_failed(struct slot *s, const char *what)
{
	struct pz_dial *d = s->d;

	note(d, (const struct sockaddr *)&s->sa, what);
	slot_close(s);
	if (--d->pending == 0)
		finish(d, -1, -ECONNREFUSED);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;
	int err = 0, one = 1;
	socklen_t len = sizeof(err);

	if (what & EV_TIMEOUT) {
		slot_failed(s, "timed out");
		return;
	}
	if (getsockopt((int)fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		slot_failed(s, strerror(err));
		return;
	}
	setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	event_free(s->ev);
	s->ev = NULL;
	s->fd = -1; /* the winner's socket leaves the slot */
	finish(s->d, (int)fd, 0);
}

static void dial_one(struct pz_dial *d, const struct sockaddr *sa, socklen_t len)
{
	struct timeval tv = { d->timeout_ms / 1000, (d->timeout_ms % 1000) * 1000 };
	struct slot *s;

	for (int i = 0; i < d->n; i++)
		if (d->slot[i].len == len && !memcmp(&d->slot[i].sa, sa, len))
			return; /* the same address twice */
	if (d->n == PZ_DIAL_MAX)
		return;
	s = &d->slot[d->n++];
	s->d = d;
	memcpy(&s->sa, sa, len);
	s->len = len;
	s->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	d->pending++;
	if (s->fd < 0) {
		slot_failed(s, strerror(errno));
		return;
	}
	if (connect(s->fd, sa, len) < 0 && errno != EINPROGRESS) {
		slot_failed(s, strerror(errno));
		return;
	}
	if (!(s->ev = event_new(d->base, s->fd, EV_WRITE, on_writable, s)) ||
	    event_add(s->ev, &tv) < 0)
		slot_failed(s, "out of memory");
}

/* After the last dial_one(): the attempt fails when nothing is in flight any more. */
static void dialled(struct pz_dial *d)
{
	if (--d->pending || d->finished)
		return;
	if (!d->n)
		snprintf(d->detail, sizeof(d->detail), "no IP addresses");
	finish(d, -1, d->n ? -ECONNREFUSED : -EHOSTUNREACH);
}

static void dial_all(struct pz_dial *d, const struct evutil_addrinfo *ai)
{
	d->pending++; /* held while dialling: an address failing at once must not end it all */
	for (; ai && !d->finished; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			struct sockaddr_in sin;

			memcpy(&sin, ai->ai_addr, sizeof(sin));
			sin.sin_port = htons(d->port);
			dial_one(d, (struct sockaddr *)&sin, sizeof(sin));
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 sin6;

			memcpy(&sin6, ai->ai_addr, sizeof(sin6));
			sin6.sin6_port = htons(d->port);
			dial_one(d, (struct sockaddr *)&sin6, sizeof(sin6));
		}
	}
	dialled(d);
}

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct pz_dial *d = arg;

	if (result == EVUTIL_EAI_CANCEL)
		return; /* pz_dial_free() is under way */
	d->req = NULL;
	if (result) {
		snprintf(d->detail, sizeof(d->detail), "cannot resolve: %s",
			 evutil_gai_strerror(result));
		finish(d, -1, -EHOSTUNREACH);
	} else {
		dial_all(d, res);
	}
	if (res)
		evutil_freeaddrinfo(res);
}

int pz_dial_start(struct pz_dial **out, struct event_base *base, struct evdns_base *dns,
		  const char *host, uint16_t port, uint32_t timeout_ms, pz_dial_fn done, void *user)
{
	struct evutil_addrinfo hints;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct pz_dial *d;

	*out = NULL;
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	d->base = base;
	d->port = port;
	d->timeout_ms = timeout_ms;
	d->done = done;
	d->user = user;
	d->fd = -1;
	for (int i = 0; i < PZ_DIAL_MAX; i++)
		d->slot[i].fd = -1;
	if (!(d->report = evtimer_new(base, on_report, d))) {
		free(d);
		return -ENOMEM;
	}
	*out = d;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		d->pending++;
		dial_one(d, (struct sockaddr *)&sin, sizeof(sin));
		dialled(d);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		d->pending++;
		dial_one(d, (struct sockaddr *)&sin6, sizeof(sin6));
		dialled(d);
		return 0;
	}
	if (!dns) {
		snprintf(d->detail, sizeof(d->detail), "no resolver");
		finish(d, -1, -EHOSTUNREACH);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* may answer at once (hosts file, errors): on_resolved only schedules the report */
	d->req = evdns_getaddrinfo(dns, host, NULL, &hints, on_resolved, d);
	return 0;
}

struct pz_dial *pz_dial_free(struct pz_dial *d)
{
	if (!d)
		return NULL;
	if (d->req)
		evdns_getaddrinfo_cancel(d->req); /* calls on_resolved with EAI_CANCEL */
	for (int i = 0; i < d->n; i++)
		slot_close(&d->slot[i]);
	if (d->fd >= 0)
		close(d->fd);
	event_free(d->report);
	free(d);
	return NULL;
}
