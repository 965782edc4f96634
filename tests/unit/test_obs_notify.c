/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The systemd notification protocol against a test listener: a datagram socket on
 * NOTIFY_SOCKET in a temp dir (and one in the abstract namespace). Built twice: with
 * libsystemd's sd_notify (FZGW_HAVE_LIBSYSTEMD) and with the built-in sender.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"

static char dir[64], path[128];
static int lfd = -1;

static int listener(const char *p, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { 2, 0 };

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p));
	if (abstract)
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, abstract ? len : sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* the next datagram, NUL-terminated; "" on timeout */
static void next_msg(int fd, char *out, size_t len)
{
	ssize_t n = recv(fd, out, len - 1, 0);

	out[n > 0 ? n : 0] = '\0';
}

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/fzgw-notify.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify.sock", dir);
	lfd = listener(path, false);
	setenv("NOTIFY_SOCKET", path, 1);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	close(lfd);
	unlink(path);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

static void test_ready_status_stopping(void **st)
{
	char m[512];

	(void)st;
	assert_true(fzgw_notify_enabled());
	assert_int_equal(fzgw_notify_send("READY=1\nSTATUS=2 client(s); portal: joined"), 1);
	next_msg(lfd, m, sizeof(m));
	assert_string_equal(m, "READY=1\nSTATUS=2 client(s); portal: joined");
	assert_int_equal(fzgw_notify_send("STOPPING=1"), 1);
	next_msg(lfd, m, sizeof(m));
	assert_string_equal(m, "STOPPING=1");
}

static void test_reloading_has_monotonic_usec(void **st)
{
	struct timespec ts;
	unsigned long long us, now;
	char m[512];

	(void)st;
	assert_int_equal(fzgw_notify_reloading(), 1);
	next_msg(lfd, m, sizeof(m));
	assert_int_equal(strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	us = strtoull(m + 27, NULL, 10);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u;
	/* CLOCK_MONOTONIC in microseconds, taken just now */
	assert_true(us <= now && now - us < 2000000ull);
}

static void test_no_socket_sends_nothing(void **st)
{
	char m[64];
	struct timeval tv = { 0, 200000 };

	(void)st;
	unsetenv("NOTIFY_SOCKET");
	assert_false(fzgw_notify_enabled());
	assert_int_equal(fzgw_notify_send("READY=1"), 0);
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	next_msg(lfd, m, sizeof(m));
	assert_string_equal(m, "");
	setenv("NOTIFY_SOCKET", path, 1);
}

static void test_unreachable_socket_is_an_error(void **st)
{
	char gone[160];

	(void)st;
	snprintf(gone, sizeof(gone), "%s/nobody.sock", dir);
	setenv("NOTIFY_SOCKET", gone, 1);
	assert_true(fzgw_notify_send("READY=1") < 0);
	setenv("NOTIFY_SOCKET", path, 1);
}

static void test_abstract_namespace(void **st)
{
	char name[64], m[64];
	int fd;

	(void)st;
	snprintf(name, sizeof(name), "@fzgw-notify-test-%d", (int)getpid());
	fd = listener(name, true);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(fzgw_notify_send("WATCHDOG=1"), 1);
	next_msg(fd, m, sizeof(m));
	assert_string_equal(m, "WATCHDOG=1");
	close(fd);
	setenv("NOTIFY_SOCKET", path, 1);
}

static void test_watchdog_usec(void **st)
{
	char pid[32];

	(void)st;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(fzgw_notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "3000000", 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(fzgw_notify_watchdog_usec(), 3000000);
	/* meant for another process (a child of ours, say): not for us */
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(fzgw_notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "nonsense", 1);
	assert_int_equal(fzgw_notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready_status_stopping),
		cmocka_unit_test(test_reloading_has_monotonic_usec),
		cmocka_unit_test(test_no_socket_sends_nothing),
		cmocka_unit_test(test_unreachable_socket_is_an_error),
		cmocka_unit_test(test_abstract_namespace),
		cmocka_unit_test(test_watchdog_usec),
	};

	printf("# notifications through %s\n", fzgw_notify_impl());
	return cmocka_run_group_tests(tests, setup, teardown);
}
