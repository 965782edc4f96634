/* SPDX-License-Identifier: Apache-2.0 */
/* ICE candidate strings: a strict tokenizer, and a formatter whose output it reads back. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ice_cand.h"

#define MAX_TOKENS 32

static const char *const type_names[] = { "host", "srflx", "prflx", "relay" };

const char *ice_cand_type_name(uint8_t type)
{
	return type <= ICE_RELAY ? type_names[type] : "?";
}

uint32_t ice_type_preference(uint8_t type)
{
	static const uint32_t pref[] = { 126, 100, 110, 0 };

	return type <= ICE_RELAY ? pref[type] : 0;
}

uint32_t ice_priority(uint8_t type, uint16_t local_pref, uint16_t component)
{
	if (component < 1 || component > 256)
		component = 1;
	return (ice_type_preference(type) << 24) + ((uint32_t)local_pref << 8) + (256u - component);
}

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

void ice_foundation(uint8_t type, const struct stun_addr *base, const struct stun_addr *server,
		    char out[ICE_FOUNDATION_MAX + 1])
{
	uint32_t h = fnv(2166136261u, &type, 1);

	if (base)
		h = fnv(fnv(h, &base->family, 1), base->ip, 16);
	if (server)
		h = fnv(fnv(h, &server->family, 1), server->ip, 16);
	snprintf(out, ICE_FOUNDATION_MAX + 1, "%u", h);
}

/* A decimal number of at most 10 digits within [min, max]. */
static int number(const char *t, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; t[i]; i++) {
		if (t[i] < '0' || t[i] > '9' || i >= 10)
			return -1;
		v = v * 10 + (uint64_t)(t[i] - '0');
	}
	if (!i || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int address(const char *t, struct stun_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, t, a->ip) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, t, a->ip) == 1)
		a->family = 6;
	else
		return -1;
	return 0;
}

/* A connection address one can send to: not unspecified, not multicast (v4-mapped too). */
static bool routable(const struct stun_addr *a)
{
	static const uint8_t zero[16], mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *v4 = a->family == 4 ? a->ip : NULL;

	if (a->family == 6 && !memcmp(a->ip, mapped, 12))
		v4 = a->ip + 12;
	if (v4)
		return memcmp(v4, zero, 4) && (v4[0] & 0xF0) != 0xE0;
	return memcmp(a->ip, zero, 16) && a->ip[0] != 0xFF;
}

static int port(const char *t, uint16_t *p, uint64_t min)
{
	uint64_t v;

	if (number(t, min, 65535, &v))
		return -1;
	*p = (uint16_t)v;
	return 0;
}

static int foundation(const char *t, char *out)
{
	size_t i, n = strlen(t);

	if (n < 1 || n > ICE_FOUNDATION_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char ch = t[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
			return -1;
	}
	memcpy(out, t, n + 1);
	return 0;
}

static int split(char *buf, char **tok)
{
	int n = 0;
	char *p = buf;

	while (*p) {
		if (*p == ' ') /* exactly one space between tokens */
			return -1;
		if (n == MAX_TOKENS)
			return -1;
		tok[n++] = p;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p++ = 0;
		if (!*p) /* trailing space */
			return -1;
	}
	return n;
}

static int extras(char **tok, int n, struct ice_cand *c, const char **why)
{
	bool raddr = false, rport = false;
	int i;

	if (n % 2) {
		*why = "extension without a value";
		return -1;
	}
	for (i = 0; i < n; i += 2) {
		if (!strcmp(tok[i], "raddr")) {
			if (raddr || address(tok[i + 1], &c->raddr))
				return *why = "raddr", -1;
			raddr = true;
		} else if (!strcmp(tok[i], "rport")) {
			if (rport || port(tok[i + 1], &c->raddr.port, 0))
				return *why = "rport", -1;
			rport = true;
		}
		/* other extension attributes (generation, ufrag, network-id, ...) are ignored */
	}
	if (raddr != rport) {
		memset(&c->raddr, 0, sizeof(c->raddr));
		return *why = "raddr without rport (or the reverse)", -1;
	}
	return 0;
}

int ice_cand_parse(const char *s, size_t len, struct ice_cand *c, const char **why)
{
	static const char prefix[] = "candidate:";
	char buf[ICE_CAND_STR_MAX], *tok[MAX_TOKENS];
	uint64_t v;
	size_t i;
	int n, t;

	memset(c, 0, sizeof(*c));

	*why = "length";
	if (!s || len >= sizeof(buf))
		return -1;
	*why = "character (printable ASCII only)";
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7E) /* so a candidate can be logged as it came */
			return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	*why = "candidate: prefix";
	if (strncmp(buf, prefix, sizeof(prefix) - 1))
		return -1;
	*why = "spacing or too many fields";
	n = split(buf + sizeof(prefix) - 1, tok);
	if (n < 0)
		return -1;
	*why = "too few fields";
	if (n < 8)
		return -1;
	*why = "foundation";
	if (foundation(tok[0], c->foundation))
		return -1;
	*why = "component";
	if (number(tok[1], 1, 256, &v))
		return -1;
	c->component = (uint16_t)v;
	*why = "transport (udp only)";
	if (strcasecmp(tok[2], "udp"))
		return -1;
	*why = "priority";
	if (number(tok[3], 1, 0x7FFFFFFF, &v))
		return -1;
	c->priority = (uint32_t)v;
	*why = "connection address";
	if (address(tok[4], &c->addr) || !routable(&c->addr))
		return -1;
	*why = "port";
	if (port(tok[5], &c->addr.port, 1))
		return -1;
	*why = "typ";
	if (strcmp(tok[6], "typ"))
		return -1;
	*why = "candidate type";
	for (t = 0; t <= ICE_RELAY; t++)
		if (!strcmp(tok[7], type_names[t]))
			break;
	if (t > ICE_RELAY)
		return -1;
	c->type = (uint8_t)t;
	if (extras(tok + 8, n - 8, c, why))
		return -1;
	*why = NULL;
	return 0;
}

int ice_cand_format(const struct ice_cand *c, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN], rip[INET6_ADDRSTRLEN];
	int n;

	if (c->type > ICE_RELAY || (c->addr.family != 4 && c->addr.family != 6) ||
	    !inet_ntop(c->addr.family == 4 ? AF_INET : AF_INET6, c->addr.ip, ip, sizeof(ip)))
		return -1;
	n = snprintf(out, cap, "candidate:%s %u udp %u %s %u typ %s", c->foundation,
		     (unsigned)c->component, (unsigned)c->priority, ip, (unsigned)c->addr.port,
		     type_names[c->type]);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	if (c->raddr.family == 4 || c->raddr.family == 6) {
		int m;

		if (!inet_ntop(c->raddr.family == 4 ? AF_INET : AF_INET6, c->raddr.ip, rip,
			       sizeof(rip)))
			return -1;
		m = snprintf(out + n, cap - (size_t)n, " raddr %s rport %u", rip,
			     (unsigned)c->raddr.port);
		if (m < 0 || (size_t)m >= cap - (size_t)n)
			return -1;
		n += m;
	}
	return n;
}
