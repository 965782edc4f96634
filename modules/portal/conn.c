/* SPDX-License-Identifier: Apache-2.0 */
/* One connection attempt and its life: dial, TLS, the upgrade, then WebSocket messages. */
#include "conn.h"

#include <errno.h>
#include <poll.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dial.h"
#include "http.h"
#include "tls.h"
#include "ws.h"

struct pz_conn {
	struct event_base *base;
	const struct pz_conn_ops *ops;
	void *user;
	const struct pz_url *url;
	SSL_CTX *tls;
	SSL *ssl;         /* until the bufferevent owns it */
	char accept[32];
	int64_t (*wall_s)(void *user);
	char *request;    /* until the output buffer holds it */
	size_t request_len;
	struct pz_dial *dial;
	struct bufferevent *bev;
	bool tls_up;      /* the handshake completed */
	struct pz_ws *ws; /* after the upgrade */
	struct event *timer; /* the attempt's deadline, then the wait for the close answer */
	int busy;         /* callbacks in progress: freeing waits for them */
	bool closing;     /* we sent a close (or could not): the timer ends it */
	bool dead, ended;
};

static void wipe_request(const void *data, size_t len, void *extra)
{
	(void)len;
	(void)extra;
	sodium_free((void *)data);
}

static void destroy(struct pz_conn *c)
{
	c->dial = pz_dial_free(c->dial);
	if (c->bev)
		bufferevent_free(c->bev); /* closes the socket, frees the SSL */
	else if (c->ssl)
		SSL_free(c->ssl);
	c->ws = pz_ws_free(c->ws);
	if (c->timer)
		event_free(c->timer);
	if (c->request)
		sodium_free(c->request);
	free(c);
}

struct pz_conn *pz_conn_free(struct pz_conn *c)
{
	if (!c)
		return NULL;
	c->dead = true;
	if (!c->busy)
		destroy(c);
	return NULL;
}

static void enter(struct pz_conn *c)
{
	c->busy++;
}

static void leave(struct pz_conn *c)
{
	if (--c->busy == 0 && c->dead)
		destroy(c);
}

static bool gone(const struct pz_conn *c)
{
	return c->dead || c->ended;
}

static void end(struct pz_conn *c, enum pz_end_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void end_with(struct pz_conn *c, struct pz_end *e)
{
	if (gone(c))
		return;
	c->ended = true;
	if (c->bev)
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evtimer_del(c->timer);
	c->ops->end(c->user, e);
}

static void end(struct pz_conn *c, enum pz_end_kind kind, const char *fmt, ...)
{
	struct pz_end e = { .kind = kind, .retry_after = -1 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.detail, sizeof(e.detail), fmt, ap);
	va_end(ap);
	if (kind == PZ_END_CLOSED && c->ws)
		e.close_code =
		    pz_ws_close_code(c->ws) ? pz_ws_close_code(c->ws) : pz_ws_sent_code(c->ws);
	end_with(c, &e);
}

/* ------------------------------------------------------------ WebSocket glue */

static void ws_text(void *user, const char *msg, size_t len)
{
	struct pz_conn *c = user;

	if (!gone(c))
		c->ops->text(c->user, msg, len);
}

static int ws_write(void *user, const uint8_t *data, size_t len)
{
	struct pz_conn *c = user;

	if (gone(c))
		return -EPIPE;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > PZ_OUTPUT_MAX)
		return -ENOBUFS;
	return bufferevent_write(c->bev, data, len) == 0 ? 0 : -ENOMEM;
}

static const struct pz_ws_ops ws_ops = { ws_text, ws_write };

static void check_finished(struct pz_conn *c)
{
	struct timeval tv = { PZ_CLOSE_WAIT_MS / 1000, (PZ_CLOSE_WAIT_MS % 1000) * 1000 };

	if (gone(c))
		return;
	if (pz_ws_finished(c->ws)) {
		end(c, PZ_END_CLOSED, "closed");
	} else if (pz_ws_sent_code(c->ws) && !c->closing) {
		/* we closed in the framing layer (binary, bad UTF-8, too big): await the answer */
		c->closing = true;
		evtimer_add(c->timer, &tv);
	}
}

/* ------------------------------------------------------------ reading */

static void upgrade(struct pz_conn *c, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in), n = len < PZ_HTTP_HEAD_MAX ? len : PZ_HTTP_HEAD_MAX;
	struct pz_http_resp r;
	struct pz_end e = { .kind = PZ_END_HTTP };
	const char *head = (const char *)evbuffer_pullup(in, (ssize_t)n);
	int rc;

	rc = pz_http_response(head, n, c->accept, c->wall_s(c->user), &r);
	if (rc == 0) {
		if (len >= PZ_HTTP_HEAD_MAX)
			end(c, PZ_END_UPGRADE, "response head over 16 KiB");
		return;
	}
	if (rc < 0) {
		end(c, PZ_END_UPGRADE, "bad upgrade response: %s", r.why ? r.why : "malformed");
		return;
	}
	if (!r.upgraded) {
		e.status = r.status;
		e.retry_after = r.retry_after;
		snprintf(e.detail, sizeof(e.detail), "HTTP %d %s%s%s", r.status, r.reason,
			 r.body[0] ? ": " : "", r.body);
		end_with(c, &e);
		return;
	}
	evbuffer_drain(in, (size_t)rc);
	if (pz_ws_new(&c->ws, &ws_ops, c) < 0) {
		end(c, PZ_END_ERROR, "out of memory");
		return;
	}
	evtimer_del(c->timer); /* the attempt succeeded */
	c->ops->open(c->user);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct pz_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;
	int rc;

	enter(c);
	if (!gone(c) && !c->ws)
		upgrade(c, in);
	/*
	 * Fed from the buffer's own memory, which is wiped before it is drained: portal messages
	 * carry preshared keys (hardening 7), and libevent frees its chains without wiping.
	 */
	while (!gone(c) && c->ws && evbuffer_peek(in, -1, NULL, &v, 1) == 1 && v.iov_len) {
		rc = pz_ws_feed(c->ws, v.iov_base, v.iov_len);
		sodium_memzero(v.iov_base, v.iov_len);
		evbuffer_drain(in, v.iov_len);
		if (rc < 0) {
			end(c, PZ_END_ERROR, "WebSocket error (%s)",
			    pz_ws_sent_code(c->ws) ? "closed by us" : "write failed");
			break;
		}
		check_finished(c);
	}
	leave(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct pz_conn *c = arg;
	char why[256];

	enter(c);
	if (what & BEV_EVENT_CONNECTED) {
		c->tls_up = true;
	} else if (what & BEV_EVENT_EOF) {
		if (c->ws && pz_ws_close_code(c->ws))
			end(c, PZ_END_CLOSED, "closed");
		else
			end(c, PZ_END_EOF, "the portal closed the connection%s",
			    c->ws ? " without a close frame" : " before the upgrade");
	} else if (what & BEV_EVENT_ERROR) {
		unsigned long e = c->tls ? bufferevent_get_openssl_error(bev) : 0;
		int err = EVUTIL_SOCKET_ERROR();

		if (c->tls && (e || !c->tls_up)) {
			pz_tls_why(bufferevent_openssl_get_ssl(bev), e, err ? strerror(err) : NULL,
				   why, sizeof(why));
			end(c, c->tls_up ? PZ_END_ERROR : PZ_END_TLS, "%s", why);
		} else {
			end(c, PZ_END_ERROR, "%s", err ? strerror(err) : "connection error");
		}
	}
	leave(c);
}

/* ------------------------------------------------------------ dialling */

static void on_dialled(void *user, int fd, int err, const char *detail)
{
	struct pz_conn *c = user;
	char why[512];

	enter(c);
	snprintf(why, sizeof(why), "%s", detail); /* it lives in the dial, freed now */
	c->dial = pz_dial_free(c->dial);
	if (fd < 0) {
		end(c, PZ_END_DIAL, "%s (%s)", why, strerror(-err));
		goto out;
	}
	if (c->tls) {
		c->bev = bufferevent_openssl_socket_new(
		    c->base, fd, c->ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev)
			c->ssl = NULL; /* the bufferevent frees it */
	} else {
		c->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	if (!c->bev) {
		close(fd);
		end(c, PZ_END_ERROR, "out of memory");
		goto out;
	}
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	/* referenced, not copied: the buffer is wiped and freed once written */
	if (evbuffer_add_reference(bufferevent_get_output(c->bev), c->request, c->request_len,
				   wipe_request, NULL) < 0) {
		end(c, PZ_END_ERROR, "out of memory");
		goto out;
	}
	c->request = NULL;
out:
	leave(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pz_conn *c = arg;

	(void)fd;
	(void)what;
	enter(c);
	if (c->closing)
		end(c, PZ_END_CLOSED, "closed by us%s", c->ws ? ", no answer to our close" : "");
	else
		end(c, PZ_END_TIMEOUT, "no WebSocket within %u s%s", PZ_ATTEMPT_TIMEOUT_MS / 1000,
		    c->bev ? (c->tls && !c->tls_up ? " (TLS handshake)" : " (upgrade)")
			   : " (connect)");
	leave(c);
}

int pz_conn_start(struct pz_conn **out, struct pz_conn_params *p, const struct pz_conn_ops *ops,
		  void *user)
{
	struct timeval tv = { PZ_ATTEMPT_TIMEOUT_MS / 1000, 0 };
	struct pz_conn *c;
	int rc = -ENOMEM;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c)))) {
		sodium_free(p->request);
		return -ENOMEM;
	}
	c->base = p->base;
	c->ops = ops;
	c->user = user;
	c->url = p->url;
	c->tls = p->tls;
	c->wall_s = p->wall_s;
	c->request = p->request;
	c->request_len = p->request_len;
	p->request = NULL;
	snprintf(c->accept, sizeof(c->accept), "%s", p->accept);
	if (!(c->timer = evtimer_new(c->base, on_timer, c)) || evtimer_add(c->timer, &tv) < 0)
		goto err;
	if (c->tls && !(c->ssl = pz_tls_new(c->tls, c->url->host, c->url->host_is_ip))) {
		rc = -EINVAL;
		goto err;
	}
	if ((rc = pz_dial_start(&c->dial, c->base, p->dns, c->url->host, c->url->port,
				PZ_TCP_TIMEOUT_MS, on_dialled, c)) < 0)
		goto err;
	*out = c;
	return 0;
err:
	destroy(c);
	return rc;
}

int pz_conn_send(struct pz_conn *c, const char *text, size_t len)
{
	if (gone(c) || !c->ws)
		return -ENOTCONN;
	enter(c);
	if (pz_ws_send_text(c->ws, text, len) < 0) {
		leave(c);
		return -EPIPE;
	}
	leave(c);
	return 0;
}

void pz_conn_close(struct pz_conn *c, uint16_t code)
{
	struct timeval tv = { 0, 0 };

	if (gone(c))
		return;
	enter(c);
	if (c->ws && pz_ws_close(c->ws, code) == 0) {
		check_finished(c); /* arms the deadline */
	} else if (c->ws) {
		c->ws = pz_ws_free(c->ws); /* nothing to wait for: end() at once from the timer */
	}
	if (!gone(c) && !c->closing) {
		c->closing = true;
		evtimer_add(c->timer, &tv);
	}
	leave(c);
}

/* ------------------------------------------------------------ shutdown */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for @events on @fd until @deadline; false when the time is up or the socket failed. */
static bool wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left = deadline - mono_ms();

	return left > 0 && poll(&pfd, 1, (int)left) > 0 && (pfd.revents & events);
}

/* Writes what the output buffer holds straight to the socket (the loop no longer runs). */
static void drain(struct pz_conn *c, int fd, SSL *ssl, int64_t deadline)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len;

	while ((len = evbuffer_get_length(out)) > 0) {
		const void *data = evbuffer_pullup(out, -1);
		int n;

		if (ssl) {
			n = SSL_write(ssl, data, len > INT32_MAX ? INT32_MAX : (int)len);
			if (n <= 0) {
				int err = SSL_get_error(ssl, n);

				if ((err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) ||
				    !wait_fd(fd, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
					     deadline))
					return;
				continue;
			}
		} else {
			n = (int)send(fd, data, len > INT32_MAX ? INT32_MAX : len, MSG_NOSIGNAL);
			if (n < 0) {
				if ((errno != EAGAIN && errno != EINTR) ||
				    !wait_fd(fd, POLLOUT, deadline))
					return;
				continue;
			}
		}
		evbuffer_drain(out, (size_t)n);
	}
}

void pz_conn_shutdown(struct pz_conn *c, uint16_t code, int wait_ms)
{
	int64_t deadline = mono_ms() + wait_ms;
	SSL *ssl;
	int fd;

	if (gone(c) || !c->ws || !c->bev || (fd = bufferevent_getfd(c->bev)) < 0)
		return;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evtimer_del(c->timer);
	ssl = c->tls ? bufferevent_openssl_get_ssl(c->bev) : NULL;
	if (pz_ws_close(c->ws, code) < 0)
		return;
	drain(c, fd, ssl, deadline);
	/* the portal's answering close frame, or its end of the connection */
	wait_fd(fd, POLLIN, deadline);
	if (ssl)
		SSL_shutdown(ssl); /* close_notify; not waited for */
	c->ended = true;
}
