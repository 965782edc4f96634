/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The health and metrics server on a real loop and a real socket (127.0.0.1, a free port):
 * the three paths, HEAD, readiness both ways, and hostile requests (other methods, garbage,
 * oversized headers, a body, an idle connection) answered or closed without harm. Also the
 * address syntax and the config key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "obs_http.h"
#include "tmpfile.h"

static struct event_base *base;
static struct fzgw_http *srv;
static bool is_ready;
static int renders;

static bool ready_cb(void *arg, char *why, size_t len)
{
	(void)arg;
	if (!is_ready)
		snprintf(why, len, "module portal is not ready: connecting");
	return is_ready;
}

static void metrics_cb(void *arg, struct fzgw_prom *p)
{
	(void)arg;
	renders++;
	fzgw_prom_family(p, "t_up", "gauge", "test");
	fzgw_prom_u64(p, "t_up", NULL, 1);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sends @req (may be partial: the server sees exactly these bytes), runs the loop until the
 * server closes the connection or @ms pass; the answer in @out. Returns true if closed. */
static bool exchange(const char *req, size_t len, char *out, size_t outlen, uint64_t ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(fzgw_http_port(srv)) };
	uint64_t until = now_ms() + ms;
	size_t got = 0;
	bool closed = false;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (len)
		assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	out[0] = '\0';
	while (now_ms() < until) {
		ssize_t n;

		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		n = recv(fd, out + got, outlen - 1 - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			out[got] = '\0';
			continue;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			closed = true;
			break;
		}
		usleep(1000);
	}
	close(fd);
	return closed;
}

static const char *get(const char *line, char *out, size_t outlen)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", line);

	exchange(req, (size_t)n, out, outlen, 2000);
	return out;
}

static int setup(void **st)
{
	const struct fzgw_http_ops ops = { ready_cb, metrics_cb, NULL };
	char err[256];

	(void)st;
	assert_non_null(base = event_base_new());
	srv = fzgw_http_start(base, "127.0.0.1:0", &ops, err, sizeof(err));
	if (!srv)
		fail_msg("%s", err);
	assert_int_not_equal(fzgw_http_port(srv), 0);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	srv = fzgw_http_free(srv);
	event_base_free(base);
	return 0;
}

static void test_paths(void **st)
{
	char r[8192];

	(void)st;
	assert_non_null(strstr(get("GET /healthz", r, sizeof(r)), "HTTP/1.1 200 OK\r\n"));
	is_ready = false;
	get("GET /readyz", r, sizeof(r));
	assert_non_null(strstr(r, "HTTP/1.1 503 Service Unavailable\r\n"));
	assert_non_null(strstr(r, "\r\n\r\nmodule portal is not ready: connecting\n"));
	is_ready = true;
	assert_non_null(strstr(get("GET /readyz?verbose=1", r, sizeof(r)), "HTTP/1.1 200 OK\r\n"));
	renders = 0;
	get("GET /metrics", r, sizeof(r));
	assert_int_equal(renders, 1);
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r, "\r\n\r\n# HELP t_up test\n# TYPE t_up gauge\nt_up 1\n"));
	/* an absolute-form target is the same path */
	assert_non_null(strstr(get("GET http://gw:8080/healthz", r, sizeof(r)), "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(get("GET /nothing", r, sizeof(r)), "HTTP/1.1 404 Not Found\r\n"));
	assert_non_null(strstr(get("GET /healthz/", r, sizeof(r)), "HTTP/1.1 404"));
}

static void test_head_has_no_body(void **st)
{
	char r[8192];

	(void)st;
	renders = 0;
	get("HEAD /metrics", r, sizeof(r));
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r, "\r\n\r\n"));
	assert_string_equal(strstr(r, "\r\n\r\n"), "\r\n\r\n");
}

static void test_hostile_requests(void **st)
{
	char r[8192], big[16384];
	uint64_t before[FZGW_HTTP_OUTCOMES], after[FZGW_HTTP_OUTCOMES];
	int n;

	(void)st;
	fzgw_http_counts(srv, before);
	/* methods other than GET and HEAD: refused by evhttp, never reach the handlers */
	renders = 0;
	get("POST /metrics", r, sizeof(r));
	if (strncmp(r, "HTTP/1.1 501", 12) && strncmp(r, "HTTP/1.1 405", 12))
		fail_msg("POST answered \"%.40s\"", r);
	get("DELETE /healthz", r, sizeof(r));
	if (strncmp(r, "HTTP/1.1 501", 12) && strncmp(r, "HTTP/1.1 405", 12))
		fail_msg("DELETE answered \"%.40s\"", r);
	assert_int_equal(renders, 0);
	/* garbage: a 400 or a closed connection, never a hang */
	assert_true(exchange("\x01\x02\x03 \xff\xfe\r\n\r\n", 10, r, sizeof(r), 3000));
	assert_true(r[0] == '\0' || strstr(r, "HTTP/1.1 400") || strstr(r, "HTTP/1.0 400"));
	assert_true(exchange("GET\r\n\r\n", 7, r, sizeof(r), 3000));
	assert_true(exchange("GET /healthz HTTP/9.9\r\n\r\n", 25, r, sizeof(r), 3000));
	/* headers past 8 KiB */
	n = snprintf(big, sizeof(big), "GET /healthz HTTP/1.1\r\nX-Pad: ");
	memset(big + n, 'a', 12000);
	n += 12000;
	n += snprintf(big + n, sizeof(big) - (size_t)n, "\r\n\r\n");
	assert_true(exchange(big, (size_t)n, r, sizeof(r), 3000));
	assert_null(strstr(r, "200 OK"));
	/* a request line past 8 KiB */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'b', 12000);
	assert_true(exchange(big, 12005, r, sizeof(r), 3000));
	assert_null(strstr(r, "200 OK"));
	/* a body on a GET */
	assert_true(exchange("GET /healthz HTTP/1.1\r\nContent-Length: 100000\r\n\r\nxxxx", 51, r, sizeof(r), 3000));
	assert_null(strstr(r, "200 OK"));
	/* a NUL inside the target */
	assert_true(exchange("GET /hea\0lthz HTTP/1.1\r\n\r\n", 26, r, sizeof(r), 3000));
	assert_null(strstr(r, "200 OK"));
	/* the server still answers */
	assert_non_null(strstr(get("GET /healthz", r, sizeof(r)), "HTTP/1.1 200 OK\r\n"));
	fzgw_http_counts(srv, after);
	assert_int_equal(after[FZGW_HTTP_OK], before[FZGW_HTTP_OK] + 1);
}

static void test_many_connections_in_a_row(void **st)
{
	char r[2048];

	(void)st;
	for (int i = 0; i < 200; i++)
		assert_non_null(strstr(get("GET /healthz", r, sizeof(r)), " 200 OK\r\n"));
}

static void test_addresses(void **st)
{
	char host[64];
	uint16_t port = 0;

	(void)st;
	assert_int_equal(fzgw_http_parse_addr("0.0.0.0:8080", host, sizeof(host), &port), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(port, 8080);
	assert_int_equal(fzgw_http_parse_addr("[::]:9090", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::");
	assert_int_equal(port, 9090);
	assert_int_equal(fzgw_http_parse_addr("[fd00::1]:1", host, sizeof(host), &port), 0);
	assert_string_equal(host, "fd00::1");
	const char *bad[] = { "", "8080", ":8080", "0.0.0.0", "0.0.0.0:", "0.0.0.0:65536",
			      "0.0.0.0:-1", "0.0.0.0:80x", "localhost:8080", "::1:8080", "[::1]8080",
			      "[::1]:", "[1.2.3.4]:80", "1.2.3.4:+80", "[::1:80", "1.2.3.4: 80",
			      "999.1.1.1:80", NULL };
	for (int i = 0; bad[i]; i++)
		if (fzgw_http_parse_addr(bad[i], host, sizeof(host), &port) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_true(fzgw_http_addr_off("off"));
	assert_true(fzgw_http_addr_off(""));
	assert_false(fzgw_http_addr_off("0.0.0.0:8080"));
}

static void test_bind_failure_is_reported(void **st)
{
	const struct fzgw_http_ops ops = { ready_cb, metrics_cb, NULL };
	char addr[64], err[256] = "";

	(void)st;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", fzgw_http_port(srv));
	assert_null(fzgw_http_start(base, addr, &ops, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot listen on 127.0.0.1:"));
	assert_non_null(strstr(err, "in use"));
	assert_null(fzgw_http_start(base, "nonsense", &ops, err, sizeof(err)));
	assert_non_null(strstr(err, "expected IPv4:PORT or [IPv6]:PORT"));
}

static int load(const char *gw, const char *env, struct fzgw_config *c, char *err, size_t errlen)
{
	struct fzgw_overrides ov = { .health_check_addr = env };
	char path[256], text[1024];

	snprintf(text, sizeof(text), "gateway = { %s };\nmodules = ();\n", gw);
	assert_int_equal(tmp_write(path, sizeof(path), "gw.conf", text), 0);
	return fzgw_config_load(c, path, &ov, err, errlen);
}

static void test_config_key(void **st)
{
	static struct fzgw_config c;
	char err[512];

	(void)st;
	assert_int_equal(load("", NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.health_check_addr, "0.0.0.0:8080");
	assert_false(c.health_check_explicit);
	fzgw_config_free(&c);
	assert_int_equal(load("health_check_addr = \"[::]:9100\";", NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.health_check_addr, "[::]:9100");
	assert_true(c.health_check_explicit);
	fzgw_config_free(&c);
	/* the environment (or the flag) wins over the file; "" turns it off */
	assert_int_equal(load("health_check_addr = \"[::]:9100\";", "", &c, err, sizeof(err)), 0);
	assert_string_equal(c.health_check_addr, "off");
	fzgw_config_free(&c);
	assert_int_equal(load("health_check_addr = \"off\";", "127.0.0.1:1", &c, err, sizeof(err)), 0);
	assert_string_equal(c.health_check_addr, "127.0.0.1:1");
	fzgw_config_free(&c);
	assert_true(load("health_check_addr = \"localhost:80\";", NULL, &c, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "gw.conf:1: bad health check address \"localhost:80\""));
	assert_true(load("", "1.2.3.4", &c, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "HEALTH_CHECK_ADDR"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_head_has_no_body),
		cmocka_unit_test(test_hostile_requests),
		cmocka_unit_test(test_many_connections_in_a_row),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_bind_failure_is_reported),
		cmocka_unit_test(test_config_key),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
