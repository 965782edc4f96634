/* SPDX-License-Identifier: Apache-2.0 */
/* fzgw_gen: time, CPU and memory of processes, sockets in other network namespaces, parsing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "gen.h"

uint64_t gen_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void gen_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* field @n (1-based, as proc(5) counts) of /proc/PID/stat; the name may hold blanks */
static int proc_stat_fields(int pid, double *utime, double *stime)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	/* after ") ": state is field 3; utime 14, stime 15 */
	unsigned long u, s;

	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &u, &s) != 2)
		return -1;
	*utime = (double)u;
	*stime = (double)s;
	return 0;
}

double gen_proc_cpu_s(int pid)
{
	double u, s;

	if (pid <= 0 || proc_stat_fields(pid, &u, &s))
		return -1;
	return (u + s) / (double)sysconf(_SC_CLK_TCK);
}

long gen_proc_rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

uint64_t gen_proc_udp_drops(int pid, uint16_t port)
{
	static const char *const files[] = { "udp", "udp6" };
	uint64_t sum = 0;

	for (int i = 0; i < 2 && pid > 0; i++) {
		char path[64], line[512];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, files[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':'), *last;
			unsigned lport;

			/* "sl: local_address:PORT ..." with the drops count last */
			if (!colon || !(colon = strchr(colon + 1, ':')) ||
			    sscanf(colon + 1, "%x", &lport) != 1 || lport != port)
				continue;
			/* the kernel pads the line with blanks after the last field */
			for (size_t n = strlen(line); n && (line[n - 1] == ' ' || line[n - 1] == '\n');)
				line[--n] = 0;
			last = strrchr(line, ' ');
			if (last)
				sum += strtoull(last + 1, NULL, 10);
		}
		fclose(f);
	}
	return sum;
}

uint64_t gen_softnet_drops(void)
{
	FILE *f = fopen("/proc/net/softnet_stat", "r");
	char line[512];
	uint64_t sum = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long processed, dropped;

		if (sscanf(line, "%llx %llx", &processed, &dropped) == 2)
			sum += dropped;
	}
	fclose(f);
	return sum;
}

double gen_self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int gen_socket_in(const char *netns, int type)
{
	char path[256];
	int home, there, fd, err;

	if (!netns)
		return socket(AF_INET, type, 0);
	if (strchr(netns, '/') || snprintf(path, sizeof(path), "/var/run/netns/%s", netns) >=
					  (int)sizeof(path)) {
		errno = EINVAL;
		return -1;
	}
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	there = open(path, O_RDONLY | O_CLOEXEC);
	if (home < 0 || there < 0 || setns(there, CLONE_NEWNET) < 0) {
		err = errno;
		if (home >= 0)
			close(home);
		if (there >= 0)
			close(there);
		errno = err;
		return -1;
	}
	fd = socket(AF_INET, type, 0);
	err = errno;
	if (setns(home, CLONE_NEWNET) < 0) { /* cannot go back: nothing after this is sound */
		perror("fzgw_gen: setns back");
		exit(3);
	}
	close(home);
	close(there);
	errno = err;
	return fd;
}

int gen_parse_key(const char *b64, uint8_t out[32])
{
	size_t len;

	if (sodium_base642bin(out, 32, b64, strlen(b64), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || len != 32)
		return -1;
	return 0;
}

int gen_parse_ep(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	memset(sa, 0, sizeof(*sa));
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || !port || port > 65535)
		return -1;
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

void gen_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t gen_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint32_t gen_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
