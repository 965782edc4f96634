/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket: requests, status replies and capture streams on the loop. */
#include "ctl_server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "ctl_status.h"
#include "daemon.h"
#include "dp_capture.h"
#include "grants.h"
#include "log.h"
#include "pcap.h"

struct ctl_conn {
	struct fzgw_ctl_server *srv;
	struct bufferevent *bev;
	struct ctl_conn *prev, *next;
	pid_t pid;
	uid_t uid;
	bool closing;   /* the reply is queued: freed once it is written */
	bool capturing; /* the sink is attached */
	bool cap_ending;
	const char *why_end;
	struct dp_capture_sink sink;
	uint64_t max_bytes;
	uint32_t max_seconds;
	uint64_t sent;       /* stream bytes queued, file header included */
	uint64_t started_ms;
	struct event *timer; /* the time cap, and ending a capture outside the data path */
};

struct fzgw_ctl_server {
	struct fzgw_daemon *d;
	struct event_base *base;
	int fd;
	struct event *ev_accept;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	struct fzgw_grants grants;
	int64_t started_wall;
	struct ctl_conn *conns;
	int n_conns, n_captures;
};

/* ------------------------------------------------------------ connections */

/* Detaches the sink and logs what the capture did. */
static void capture_stop(struct ctl_conn *c)
{
	struct fzgw_ctl_server *s = c->srv;

	if (!c->capturing)
		return;
	dp_capture_detach(&c->sink);
	c->capturing = false;
	s->n_captures--;
	fzgw_info("capture by pid %d uid %u (client %s) stopped: %s; %llu packet(s), %llu bytes "
		  "sent, %llu dropped (reader too slow), %llu s",
		  (int)c->pid, (unsigned)c->uid, c->sink.client_id[0] ? c->sink.client_id : "all",
		  c->why_end ? c->why_end : "the reader went away",
		  (unsigned long long)c->sink.packets, (unsigned long long)c->sent,
		  (unsigned long long)c->sink.dropped,
		  (unsigned long long)((s->d->core.now_ms() - c->started_ms) / 1000));
}

static void conn_free(struct ctl_conn *c)
{
	struct fzgw_ctl_server *s = c->srv;

	capture_stop(c);
	if (c->timer)
		event_free(c->timer);
	if (c->bev)
		bufferevent_free(c->bev); /* closes the socket */
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	free(c);
}

/* Queues @line (plus a newline) and closes once it is written. */
static void reply_and_close(struct ctl_conn *c, const char *line)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	evbuffer_add(out, line, strlen(line));
	evbuffer_add(out, "\n", 1);
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
}

static void reply_error(struct ctl_conn *c, const char *msg)
{
	json_t *o = json_pack("{s:i, s:b, s:s}", "v", FZGW_CTL_VERSION, "ok", 0, "error", msg);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	reply_and_close(c, s ? s : "{\"v\":1,\"ok\":false,\"error\":\"out of memory\"}");
	free(s);
	json_decref(o);
}

static void do_status(struct ctl_conn *c)
{
	json_t *o = fzgw_ctl_status_json(c->srv->d, &c->srv->grants, c->srv->started_wall);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s)
		reply_and_close(c, s);
	else
		reply_error(c, "out of memory");
	free(s);
	json_decref(o);
}

/* Ends a capture from the loop (the time cap, or the size cap seen in the data path). */
static void capture_end(struct ctl_conn *c, const char *why)
{
	struct timeval wt = { FZGW_CTL_WRITE_TIMEOUT_S, 0 };

	c->why_end = why;
	capture_stop(c);
	c->closing = true;
	bufferevent_set_timeouts(c->bev, NULL, &wt);
	if (!evbuffer_get_length(bufferevent_get_output(c->bev)))
		conn_free(c);
}

static void on_cap_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *c = arg;

	(void)fd;
	(void)what;
	capture_end(c, c->cap_ending ? "size cap reached" : "time cap reached");
}

/* The data path's sink: a whole record or nothing (the stream stays valid pcap). */
static int capture_emit(void *arg, const uint8_t *hdr, size_t hlen, const uint8_t *data, size_t len)
{
	struct ctl_conn *c = arg;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->cap_ending || c->closing)
		return -1;
	if (c->sent + hlen + len > c->max_bytes) {
		c->cap_ending = true; /* ended from the loop, not inside the data path */
		event_active(c->timer, EV_TIMEOUT, 0);
		return -1;
	}
	if (evbuffer_get_length(out) + hlen + len > FZGW_CTL_CAPTURE_BUFFER)
		return 0;
	/* room first, so that both adds succeed: whole records only */
	if (evbuffer_expand(out, hlen + len) < 0 || evbuffer_add(out, hdr, hlen) < 0 ||
	    evbuffer_add(out, data, len) < 0)
		return 0;
	c->sent += hlen + len;
	return 1;
}

static void do_capture(struct ctl_conn *c, const struct fzgw_ctl_req *req)
{
	struct fzgw_ctl_server *s = c->srv;
	uint8_t fh[FZGW_PCAP_FILE_HDR];
	struct timeval tv = { (time_t)req->max_seconds, 0 };
	char line[160];

	if (!s->d->dp) {
		reply_error(c, "the data plane is not running");
		return;
	}
	if (s->n_captures >= DP_CAPTURE_MAX) {
		reply_error(c, "too many captures running");
		return;
	}
	if (!(c->timer = evtimer_new(s->base, on_cap_timer, c)) || evtimer_add(c->timer, &tv) < 0) {
		reply_error(c, "out of memory");
		return;
	}
	memset(&c->sink, 0, sizeof(c->sink));
	memcpy(c->sink.client_id, req->client_id, sizeof(c->sink.client_id));
	c->sink.emit = capture_emit;
	c->sink.arg = c;
	c->max_bytes = req->max_bytes;
	c->max_seconds = req->max_seconds;
	if (dp_capture_attach(&c->sink) < 0) {
		reply_error(c, "too many captures running");
		return;
	}
	c->capturing = true;
	s->n_captures++;
	c->started_ms = s->d->core.now_ms();
	snprintf(line, sizeof(line), "{\"v\":%d,\"ok\":true,\"linktype\":%d}\n", FZGW_CTL_VERSION,
		 FZGW_PCAP_LINKTYPE_RAW);
	evbuffer_add(bufferevent_get_output(c->bev), line, strlen(line));
	fzgw_pcap_file_header(fh, FZGW_PCAP_SNAPLEN, FZGW_PCAP_LINKTYPE_RAW);
	evbuffer_add(bufferevent_get_output(c->bev), fh, sizeof(fh));
	c->sent = sizeof(fh);
	/* no timeouts while streaming: a slow reader costs drops, not the connection */
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	fzgw_info("capture by pid %d uid %u started: client %s, up to %llu bytes and %u s",
		  (int)c->pid, (unsigned)c->uid, c->sink.client_id[0] ? c->sink.client_id : "all",
		  (unsigned long long)c->max_bytes, c->max_seconds);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct fzgw_ctl_req req;
	char err[160];
	size_t n;
	char *line;

	if (c->capturing || c->closing) {
		evbuffer_drain(in, evbuffer_get_length(in)); /* nothing more is expected */
		return;
	}
	if (!(line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF))) {
		if (evbuffer_get_length(in) >= FZGW_CTL_MAX_REQUEST)
			reply_error(c, "request too long");
		return;
	}
	if (fzgw_ctl_parse_request(line, n, &req, err, sizeof(err)) < 0) {
		fzgw_dbg("control socket: pid %d uid %u: bad request: %s", (int)c->pid, (unsigned)c->uid, err);
		reply_error(c, err);
	} else if (req.cmd == FZGW_CTL_STATUS) {
		fzgw_dbg("control socket: pid %d uid %u: status", (int)c->pid, (unsigned)c->uid);
		do_status(c);
	} else {
		do_capture(c, &req);
	}
	free(line);
}

/* What the client sent past its request (a too-long line) is read and dropped before the
 * close: a Unix socket closed with unread data makes the peer's next read after the reply
 * fail with ECONNRESET instead of a clean end. */
static void drain_input(struct ctl_conn *c)
{
	int fd = bufferevent_getfd(c->bev);
	char buf[4096];

	for (int i = 0; fd >= 0 && i < 64 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;

	(void)bev;
	if (c->closing) {
		drain_input(c);
		conn_free(c); /* the reply is out */
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		fzgw_dbg("control socket: pid %d: timed out", (int)c->pid);
	/* a client that shut its side after the request still gets the reply */
	if ((what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) == 0 && c->closing &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)))
		return;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(c);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct fzgw_ctl_server *s = arg;
	struct timeval rt = { FZGW_CTL_REQUEST_TIMEOUT_S, 0 }, wt = { FZGW_CTL_WRITE_TIMEOUT_S, 0 };
	struct ucred cred = { 0, (uid_t)-1, (gid_t)-1 };
	socklen_t clen = sizeof(cred);
	struct ctl_conn *c;
	int fd;

	(void)what;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		cred.pid = 0;
	fzgw_dbg("control socket: connection from pid %d uid %u gid %u", (int)cred.pid,
		 (unsigned)cred.uid, (unsigned)cred.gid);
	if (s->n_conns >= FZGW_CTL_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		static const char busy[] = "{\"v\":1,\"ok\":false,\"error\":\"too many connections\"}\n";
		ssize_t w = send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);

		(void)w;
		close(fd);
		return;
	}
	c->srv = s;
	c->pid = cred.pid;
	c->uid = cred.uid;
	if (!(c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE))) {
		close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, FZGW_CTL_MAX_REQUEST);
	bufferevent_set_timeouts(c->bev, &rt, &wt);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ------------------------------------------------------------ the socket */

/* A socket file at @path: replaced when nobody answers on it, refused when someone does. */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "%s is in use by another running gateway", path);
		return -EADDRINUSE;
	}
	return unlink(path) < 0 ? -errno : 0;
}

static int make_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if (!(slash = strrchr(dir, '/')) || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int fzgw_ctl_server_start(struct fzgw_ctl_server **out, struct fzgw_daemon *d, const char *path,
			  char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fzgw_ctl_server *s;
	struct stat st;
	mode_t old;
	int rc;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path) || path[0] != '/') {
		snprintf(err, errlen, "control socket path \"%s\": not an absolute path of < %zu bytes",
			 path, sizeof(sa.sun_path));
		return -EINVAL;
	}
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->d = d;
	s->base = d->core.base;
	s->fd = -1;
	s->started_wall = d->core.wall_s ? d->core.wall_s() : fzgw_clock_wall_s();
	snprintf(s->path, sizeof(s->path), "%s", path);
	err[0] = '\0';
	if ((rc = make_dir(path)) < 0 || (rc = clear_stale(path, err, errlen)) < 0)
		goto fail;
	if ((s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		rc = -errno;
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	old = umask(0117); /* 0660 from the start: no window with a wider mode */
	rc = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (rc < 0)
		goto fail;
	/* the service group may use it (the unit's Group=); the owner is the process's user */
	if (chmod(path, 0660) < 0 || chown(path, (uid_t)-1, getegid()) < 0 || lstat(path, &st) < 0 ||
	    listen(s->fd, 16) < 0) {
		rc = -errno;
		unlink(path);
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (!(s->ev_accept = event_new(s->base, s->fd, EV_READ | EV_PERSIST, on_accept, s)) ||
	    event_add(s->ev_accept, NULL) < 0 || (rc = fzgw_grants_start(&s->grants, &d->core)) < 0) {
		rc = rc < 0 ? rc : -ENOMEM;
		snprintf(err, errlen, "control socket %s: %s", path, strerror(-rc));
		fzgw_ctl_server_stop(s);
		return rc;
	}
	fzgw_info("control socket %s (mode 0660): firezone-gateway status, capture", path);
	*out = s;
	return 0;
fail:
	if (!err[0])
		snprintf(err, errlen, "control socket %s: %s", path, strerror(-rc));
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return rc;
}

struct fzgw_ctl_server *fzgw_ctl_server_stop(struct fzgw_ctl_server *s)
{
	struct stat st;

	if (!s)
		return NULL;
	while (s->conns) {
		if (s->conns->capturing && !s->conns->why_end)
			s->conns->why_end = "the gateway stops";
		conn_free(s->conns);
	}
	if (s->ev_accept)
		event_free(s->ev_accept);
	if (s->fd >= 0) {
		close(s->fd);
		/* only our own socket file: not one a later gateway put there */
		if (lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
			unlink(s->path);
	}
	fzgw_grants_stop(&s->grants);
	free(s);
	return NULL;
}
