/* SPDX-License-Identifier: Apache-2.0 */
/* `firezone-gateway status [--json]` and `firezone-gateway capture`: the control socket's client. */
#include "ctl_client.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctl_proto.h"
#include "daemon.h"
#include "pcap.h"

#define STATUS_MAX_REPLY (256u << 20)

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

bool fzgw_ctl_is_command(const char *arg)
{
	return arg && (!strcmp(arg, "status") || !strcmp(arg, "capture"));
}

static int ctl_connect(const char *path, int timeout_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { timeout_s, 0 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "firezone-gateway: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "firezone-gateway: cannot connect to %s: %s%s\n", path, strerror(errno),
			errno == EACCES ? " (root or the service's group needed)" :
			errno == ENOENT || errno == ECONNREFUSED ? " (is the gateway running?)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (timeout_s)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_request(int fd, const struct fzgw_ctl_req *req)
{
	char line[FZGW_CTL_MAX_REQUEST];
	int n = fzgw_ctl_format_request(req, line, sizeof(line));

	if (n < 0 || send_all(fd, line, (size_t)n) < 0) {
		fprintf(stderr, "firezone-gateway: cannot send the request: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* The reply's first line as JSON; an {"ok":false} reply is printed and NULL returned. */
static json_t *reply_line(const char *buf, size_t len)
{
	json_error_t jerr;
	json_t *o = json_loadb(buf, len, 0, &jerr), *e;

	if (!o || !json_is_object(o)) {
		fprintf(stderr, "firezone-gateway: the gateway's reply is not JSON: %s\n", jerr.text);
		json_decref(o);
		return NULL;
	}
	if (!json_is_true(json_object_get(o, "ok"))) {
		e = json_object_get(o, "error");
		fprintf(stderr, "firezone-gateway: the gateway refused: %s\n",
			json_is_string(e) ? json_string_value(e) : "(no reason given)");
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------------------ status, for humans */

static void print_bytes(uint64_t b)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u)
		printf("%.2f %s", v, unit[u]);
	else
		printf("%" PRIu64 " B", b);
}

static void print_duration(int64_t s)
{
	static const struct {
		int64_t n;
		const char *name;
	} parts[] = { { 86400, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" } };
	int shown = 0;

	if (s <= 0) {
		printf("0 seconds");
		return;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int64_t k = s / parts[i].n;

		if (!k)
			continue;
		s -= k * parts[i].n;
		printf("%s%" PRId64 " %s%s", shown ? ", " : "", k, parts[i].name, k == 1 ? "" : "s");
		if (++shown == 2) /* "1 hour, 5 minutes": the rest is noise */
			break;
	}
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static void print_counters(const char *title, json_t *o)
{
	const char *k;
	json_t *v;
	int col = 0;

	if (!json_is_object(o) || !json_object_size(o))
		return;
	printf("  %s:", title);
	col = (int)strlen(title) + 3;
	json_object_foreach(o, k, v) {
		int w = (int)strlen(k) + 22;

		if (col + w > 100) {
			printf("\n   ");
			col = 3;
		}
		col += printf(" %s=%" PRId64, k, json_is_integer(v) ? (int64_t)json_integer_value(v) : 0);
	}
	printf("\n");
}

static void print_grant(json_t *g, int64_t now)
{
	int64_t exp = num(g, "expires_at");
	time_t t = (time_t)exp;
	struct tm tm;
	char when[64];

	printf("    %s", str(g, "resource_id") ? str(g, "resource_id") : "?");
	if (str(g, "address"))
		printf(" (%s)", str(g, "address"));
	if (!exp) {
		printf(", never expires\n");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (exp > now) {
		printf(", expires %s (in ", when);
		print_duration(exp - now);
		printf(")\n");
	} else {
		printf(", expired %s (", when);
		print_duration(now - exp);
		printf(" ago)\n");
	}
}

static void print_client(json_t *c, int64_t now)
{
	json_t *grants = json_object_get(c, "grants"), *g;
	int64_t hs = num(c, "latest_handshake");
	size_t i;

	printf("\nclient: %s\n", str(c, "id") ? str(c, "id") : "?");
	printf("  public key: %s\n", str(c, "public_key") ? str(c, "public_key") : "?");
	printf("  tunnel addresses: %s%s%s\n", str(c, "ipv4") ? str(c, "ipv4") : "",
	       str(c, "ipv4") && str(c, "ipv6") ? ", " : "", str(c, "ipv6") ? str(c, "ipv6") : "");
	printf("  endpoint: %s\n", str(c, "endpoint") ? str(c, "endpoint") : "(none)");
	printf("  path: %s", str(c, "path") ? str(c, "path") : "?");
	if (str(c, "relay"))
		printf(" via relay %s channel 0x%04" PRIx64, str(c, "relay"), (uint64_t)num(c, "channel"));
	printf("\n  latest handshake: ");
	if (hs) {
		print_duration(now - hs);
		printf(" ago\n");
	} else {
		printf("never\n");
	}
	printf("  transfer: ");
	print_bytes((uint64_t)num(c, "rx_bytes"));
	printf(" received, ");
	print_bytes((uint64_t)num(c, "tx_bytes"));
	printf(" sent\n");
	if (!json_array_size(grants)) {
		printf("  grants: none\n");
		return;
	}
	printf("  grants:\n");
	json_array_foreach(grants, i, g)
		print_grant(g, now);
}

static void print_status(json_t *o)
{
	json_t *gw = json_object_get(o, "gateway"), *clients = json_object_get(o, "clients");
	json_t *cnt = json_object_get(o, "counters"), *c, *mods, *hooks;
	int64_t now = (int64_t)time(NULL);
	const char *k;
	size_t i;

	printf("gateway: firezone-gateway %s, site \"%s\"\n", str(gw, "version") ? str(gw, "version") : "?",
	       str(gw, "site") ? str(gw, "site") : "?");
	printf("  public key: %s\n", str(gw, "public_key") ? str(gw, "public_key") : "(none)");
	printf("  listening port: %" PRId64 "\n", num(gw, "listen_port"));
	printf("  interface: %s\n", str(gw, "interface") ? str(gw, "interface") : "?");
	printf("  uptime: ");
	print_duration(num(gw, "uptime_s"));
	printf("\n  clients: %" PRId64 "\n", num(gw, "clients"));
	json_object_foreach(json_object_get(gw, "readiness"), k, c)
		printf("  %s: %s%s%s%s\n", k, json_is_true(json_object_get(c, "ready")) ? "ready" : "not ready",
		       str(c, "status") && *str(c, "status") ? " (" : "", str(c, "status") ? str(c, "status") : "",
		       str(c, "status") && *str(c, "status") ? ")" : "");
	json_array_foreach(clients, i, c)
		print_client(c, now);
	printf("\ncounters:\n");
	print_counters("core", json_object_get(cnt, "core"));
	print_counters("wg", json_object_get(cnt, "wg"));
	mods = json_object_get(cnt, "modules");
	json_object_foreach(mods, k, c)
		print_counters(k, c);
	json_object_foreach(json_object_get(cnt, "gauges"), k, c) {
		char title[96];

		snprintf(title, sizeof(title), "%s gauges", k);
		print_counters(title, c);
	}
	hooks = json_object_get(cnt, "hooks");
	json_array_foreach(hooks, i, c) {
		char title[160];

		snprintf(title, sizeof(title), "%s %s/%s", str(c, "phase") ? str(c, "phase") : "?",
			 str(c, "module") ? str(c, "module") : "?", str(c, "hook") ? str(c, "hook") : "?");
		printf("  %s: continue=%" PRId64 " accept=%" PRId64 " drop=%" PRId64 " stolen=%" PRId64 "\n",
		       title, num(c, "continue"), num(c, "accept"), num(c, "drop"), num(c, "stolen"));
		print_counters("    drops", json_object_get(c, "drops"));
	}
}

/* ------------------------------------------------------------ the commands */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: firezone-gateway status [--json] [--socket PATH]\n"
		"       firezone-gateway capture [--client ID] [-w FILE] [--max-bytes N]\n"
		"                                [--max-seconds S] [--socket PATH]\n"
		"\n"
		"  status           the gateway, each client (endpoint, path, latest handshake,\n"
		"                   transfer, grants and their expiry) and the counters\n"
		"    --json         the same as JSON (fields: docs/operations.md)\n"
		"  capture          decrypted packets of one client or all, as pcap (LINKTYPE_RAW),\n"
		"                   until Ctrl-C or a cap\n"
		"    --client ID    only this client (default: all)\n"
		"    -w FILE        write to FILE (default: standard output, not a terminal)\n"
		"    --max-bytes N  stop at N bytes (K, M, G suffixes; default 100M)\n"
		"    --max-seconds S  stop after S seconds (default 3600)\n"
		"  --socket PATH    the control socket (default " FZGW_CONTROL_SOCKET_DEFAULT ")\n");
}

static int run_status(const char *path, bool as_json)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap), *nl;
	struct fzgw_ctl_req req = { .cmd = FZGW_CTL_STATUS };
	json_t *o;
	int fd, rc = FZGW_EXIT_FATAL;

	if (!buf || (fd = ctl_connect(path, 10)) < 0) {
		free(buf);
		return FZGW_EXIT_FATAL;
	}
	if (send_request(fd, &req) < 0)
		goto out;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb = cap < STATUS_MAX_REPLY ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				fprintf(stderr, "firezone-gateway: the reply is too large\n");
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "firezone-gateway: reading the reply: %s\n", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if ((nl = memchr(buf + len - (size_t)n, '\n', (size_t)n)))
			break;
	}
	nl = memchr(buf, '\n', len);
	if (!(o = reply_line(buf, nl ? (size_t)(nl - buf) : len)))
		goto out;
	if (as_json) {
		json_dumpf(o, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		print_status(o);
	}
	json_decref(o);
	rc = fflush(stdout) == 0 ? FZGW_EXIT_OK : FZGW_EXIT_FATAL;
out:
	close(fd);
	free(buf);
	return rc;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* Reads the reply line byte by byte (what follows it is the pcap stream). */
static json_t *read_reply_line(int fd)
{
	char line[1024];
	size_t n = 0;

	while (n < sizeof(line)) {
		ssize_t r = recv(fd, line + n, 1, 0);

		if (r < 0 && errno == EINTR && !stop_flag)
			continue;
		if (r <= 0) {
			fprintf(stderr, "firezone-gateway: no reply from the gateway%s\n",
				stop_flag ? " (interrupted)" : "");
			return NULL;
		}
		if (line[n] == '\n')
			return reply_line(line, n);
		n++;
	}
	fprintf(stderr, "firezone-gateway: the gateway's reply line is too long\n");
	return NULL;
}

static int run_capture(const char *path, const struct fzgw_ctl_req *req, const char *file)
{
	struct sigaction sa = { .sa_handler = on_stop_signal }; /* no SA_RESTART: reads return */
	struct fzgw_pcap_reader rd;
	static uint8_t buf[1 << 16];
	size_t have = 0;
	uint64_t written = 0;
	const char *why = "the gateway ended it";
	json_t *o;
	int fd, out, rc = FZGW_EXIT_FATAL;

	if (!file || !strcmp(file, "-")) {
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "firezone-gateway: pcap is binary: use -w FILE or a pipe\n");
			return FZGW_EXIT_USAGE;
		}
		out = STDOUT_FILENO;
	} else if ((out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "firezone-gateway: cannot write %s: %s\n", file, strerror(errno));
		return FZGW_EXIT_FATAL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((fd = ctl_connect(path, 0)) < 0)
		goto out_file;
	if (send_request(fd, req) < 0 || !(o = read_reply_line(fd)))
		goto out_sock;
	json_decref(o);
	fprintf(stderr, "capturing %s's decrypted packets (Ctrl-C to stop)\n",
		req->client_id[0] ? req->client_id : "every client");
	fzgw_pcap_reader_init(&rd);
	rc = FZGW_EXIT_OK;
	while (!stop_flag) {
		size_t complete;
		ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				why = strerror(errno);
				rc = FZGW_EXIT_FATAL;
			}
			break;
		}
		if (fzgw_pcap_reader_feed(&rd, buf + have, (size_t)n, &complete) < 0) {
			why = "the stream from the gateway is not pcap";
			rc = FZGW_EXIT_FATAL;
			break;
		}
		have += (size_t)n;
		/* only whole records reach the file: it stays readable whenever we stop */
		if (complete && write_all(out, buf, complete) < 0) {
			why = strerror(errno);
			rc = FZGW_EXIT_FATAL;
			break;
		}
		written += complete;
		memmove(buf, buf + complete, have - complete);
		have -= complete;
		if (have == sizeof(buf)) {
			/* a record larger than the buffer cannot come (snaplen 65535 + 16 fits) */
			why = "a record larger than the snaplen";
			rc = FZGW_EXIT_FATAL;
			break;
		}
	}
	if (stop_flag)
		why = "interrupted";
	if (!written) { /* not even the file header arrived: still a valid, empty capture */
		uint8_t fh[FZGW_PCAP_FILE_HDR];

		fzgw_pcap_file_header(fh, FZGW_PCAP_SNAPLEN, FZGW_PCAP_LINKTYPE_RAW);
		if (write_all(out, fh, sizeof(fh)) == 0)
			written = sizeof(fh);
	}
	fprintf(stderr, "capture stopped (%s): %" PRIu64 " packet(s), %" PRIu64 " bytes written\n", why,
		rd.records, written);
out_sock:
	close(fd);
out_file:
	if (out != STDOUT_FILENO && close(out) < 0) {
		fprintf(stderr, "firezone-gateway: closing %s: %s\n", file, strerror(errno));
		rc = FZGW_EXIT_FATAL;
	}
	return rc;
}

int fzgw_ctl_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "client", required_argument, NULL, 'c' },
		{ "write", required_argument, NULL, 'w' },
		{ "max-bytes", required_argument, NULL, 'b' },
		{ "max-seconds", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool capture = !strcmp(argv[0], "capture"), as_json = false;
	const char *path = FZGW_CONTROL_SOCKET_DEFAULT, *file = NULL;
	struct fzgw_ctl_req req = { .cmd = capture ? FZGW_CTL_CAPTURE : FZGW_CTL_STATUS,
				    .max_bytes = FZGW_CTL_CAPTURE_BYTES_DEFAULT,
				    .max_seconds = FZGW_CTL_CAPTURE_SECONDS_DEFAULT };
	uint64_t v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, capture ? "c:w:h" : "h", opts, NULL)) != -1) {
		if (!capture && (c == 'c' || c == 'w' || c == 'b' || c == 't'))
			c = '?';
		if (capture && c == 'j')
			c = '?';
		switch (c) {
		case 'j':
			as_json = true;
			break;
		case 's':
			path = optarg;
			break;
		case 'c':
			if (!*optarg || strlen(optarg) >= sizeof(req.client_id)) {
				fprintf(stderr, "firezone-gateway: --client: 1..39 characters\n");
				return FZGW_EXIT_USAGE;
			}
			strcpy(req.client_id, optarg);
			break;
		case 'w':
			file = optarg;
			break;
		case 'b':
			if (parse_size(optarg, &v) < 0 || v < 1024 || v > FZGW_CTL_CAPTURE_BYTES_MAX) {
				fprintf(stderr, "firezone-gateway: --max-bytes: 1K..1T\n");
				return FZGW_EXIT_USAGE;
			}
			req.max_bytes = v;
			break;
		case 't':
			if (parse_size(optarg, &v) < 0 || v < 1 || v > FZGW_CTL_CAPTURE_SECONDS_MAX) {
				fprintf(stderr, "firezone-gateway: --max-seconds: 1..604800\n");
				return FZGW_EXIT_USAGE;
			}
			req.max_seconds = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			return FZGW_EXIT_OK;
		default:
			usage(stderr);
			return FZGW_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "firezone-gateway: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return FZGW_EXIT_USAGE;
	}
	return capture ? run_capture(path, &req, file) : run_status(path, as_json);
}
