/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket on a loop of its own, without a data plane (no root needed): its file
 * (mode, group, stale and live sockets, removal), replies to good and hostile requests, the
 * connection limit. The client side is plain sockets; the loop is run until a reply is in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "ctl_server.h"
#include "daemon.h"
#include "log.h"

static char dir[64], path[96];
static struct fzgw_daemon d;
static struct fzgw_ctl_server *srv;

static int setup(void **st)
{
	char err[256];

	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/fzgw-ctl.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/control.sock", dir); /* run/ is created */
	memset(&d, 0, sizeof(d));
	fzgw_core_init(&d.core, event_base_new(), false);
	assert_int_equal(fzgw_ctl_server_start(&srv, &d, path, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **st)
{
	char sub[160];

	(void)st;
	srv = fzgw_ctl_server_stop(srv);
	fzgw_core_fini(&d.core);
	event_base_free(d.core.base);
	snprintf(sub, sizeof(sub), "%s/run", dir);
	rmdir(sub);
	rmdir(dir);
	return 0;
}

static int dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Runs the loop until @fd has a whole line (or EOF) to read; returns it (caller frees). */
static char *read_reply(int fd)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (int i = 0; i < 2000; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		event_base_loop(d.core.base, EVLOOP_NONBLOCK);
		if (poll(&p, 1, 1) <= 0)
			continue;
		n = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	return buf;
}

static char *roundtrip(const void *req, size_t len)
{
	int fd = dial();
	char *r;

	assert_int_equal(send(fd, req, len, 0), (ssize_t)len);
	r = read_reply(fd);
	close(fd);
	event_base_loop(d.core.base, EVLOOP_NONBLOCK); /* the server sees the close */
	return r;
}

static void test_socket_file(void **st)
{
	struct stat s;

	(void)st;
	assert_int_equal(lstat(path, &s), 0);
	assert_true(S_ISSOCK(s.st_mode));
	assert_int_equal(s.st_mode & 07777, 0660);
	assert_int_equal(s.st_gid, getegid());
}

static void test_status(void **st)
{
	static const char req[] = "{\"v\":1,\"cmd\":\"status\"}\n";
	char *r = roundtrip(req, sizeof(req) - 1);
	json_t *o = json_loads(r, JSON_DISABLE_EOF_CHECK, NULL);

	(void)st;
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "v")), 1);
	assert_true(json_is_true(json_object_get(o, "ok")));
	assert_true(json_is_array(json_object_get(o, "clients")));
	assert_int_equal(json_array_size(json_object_get(o, "clients")), 0);
	assert_true(json_is_object(json_object_get(json_object_get(o, "counters"), "core")));
	assert_true(json_is_integer(json_object_get(json_object_get(o, "gateway"), "uptime_s")));
	json_decref(o);
	free(r);
}

static void expect_error(const void *req, size_t len, const char *text)
{
	char *r = roundtrip(req, len);

	if (!strstr(r, "\"ok\":false") || !strstr(r, text))
		fail_msg("reply \"%s\" lacks \"%s\"", r, text);
	free(r);
}

static void test_refused(void **st)
{
	static const char garbage[] = "\x01\x02 not json\n";
	char *big = malloc(10000), *r;
	int fd;

	(void)st;
	expect_error(garbage, sizeof(garbage) - 1, "not JSON");
	expect_error("{\"v\":3,\"cmd\":\"status\"}\n", 23, "version 3");
	expect_error("{\"v\":1,\"cmd\":\"capture\"}\n", 24, "data plane is not running");
	/* a line past the limit, more than the server reads: the reply, then a clean end (not
	 * ECONNRESET: the server read what was left before closing) */
	assert_non_null(big);
	memset(big, 'x', 10000);
	fd = dial();
	assert_int_equal(send(fd, big, 10000, 0), 10000);
	r = read_reply(fd);
	assert_non_null(strstr(r, "request too long"));
	free(r);
	for (int i = 0; i < 100; i++)
		event_base_loop(d.core.base, EVLOOP_NONBLOCK);
	errno = 0;
	assert_int_equal(recv(fd, big, 10000, MSG_DONTWAIT), 0);
	close(fd);
	free(big);
	/* still serving */
	free(roundtrip("{\"v\":1,\"cmd\":\"status\"}\n", 23));
}

static void test_connection_limit(void **st)
{
	int fds[FZGW_CTL_MAX_CONNS], extra;
	char *r;

	(void)st;
	for (int i = 0; i < FZGW_CTL_MAX_CONNS; i++) {
		fds[i] = dial();
		event_base_loop(d.core.base, EVLOOP_NONBLOCK);
	}
	extra = dial();
	r = read_reply(extra);
	assert_non_null(strstr(r, "too many connections"));
	free(r);
	close(extra);
	for (int i = 0; i < FZGW_CTL_MAX_CONNS; i++)
		close(fds[i]);
	for (int i = 0; i < 10; i++)
		event_base_loop(d.core.base, EVLOOP_NONBLOCK);
	r = roundtrip("{\"v\":1,\"cmd\":\"status\"}\n", 23); /* the slots came back */
	assert_non_null(strstr(r, "\"ok\":true"));
	free(r);
}

static void test_live_and_stale(void **st)
{
	struct fzgw_ctl_server *other = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[256];
	int fd;

	(void)st;
	/* a second gateway on the same path: refused, the first one's socket stays */
	assert_int_equal(fzgw_ctl_server_start(&other, &d, path, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "in use"));
	assert_null(other);
	assert_int_equal(access(path, F_OK), 0);
	/* stopped: the socket goes */
	srv = fzgw_ctl_server_stop(srv);
	assert_int_equal(access(path, F_OK), -1);
	/* a socket file nobody answers on (a dead gateway's) is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(fzgw_ctl_server_start(&srv, &d, path, err, sizeof(err)), 0);
	free(roundtrip("{\"v\":1,\"cmd\":\"status\"}\n", 23));
	/* a file that is not a socket is left alone */
	srv = fzgw_ctl_server_stop(srv);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(fzgw_ctl_server_start(&other, &d, path, err, sizeof(err)), -EEXIST);
	unlink(path);
	assert_int_equal(fzgw_ctl_server_start(&srv, &d, path, err, sizeof(err)), 0);
	/* not absolute, too long */
	assert_int_equal(fzgw_ctl_server_start(&other, &d, "relative.sock", err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_file),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_connection_limit),
		cmocka_unit_test(test_live_and_stale),
	};

	fzgw_log_set_filter("warn");
	return cmocka_run_group_tests(tests, setup, teardown);
}
