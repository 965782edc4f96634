/* SPDX-License-Identifier: Apache-2.0 */
/* A hosts file (hosts(5)) read into memory, consulted before the nameservers. */
#include "hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_addr(const char *s, struct fzgw_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->bytes) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, s, a->bytes) == 1)
		a->family = 6;
	return a->family != 0; /* "fe80::1%eth0" fails here: a scope means nothing to a client */
}

/* The next whitespace-separated word of a line into @w; false at the end of the line. */
static bool word(const char **p, const char *end, char *w, size_t wlen)
{
	const char *s = *p;
	size_t n = 0;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	if (s == end || *s == '#')
		return false;
	while (s < end && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#') {
		if (n + 1 < wlen)
			w[n] = *s;
		n++;
		s++;
	}
	w[n + 1 < wlen ? n : wlen - 1] = '\0';
	if (n + 1 >= wlen)
		w[0] = '\0'; /* too long for any name or address: skipped by the caller */
	*p = s;
	return true;
}

int dns_hosts_parse(struct dns_hosts *h, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	struct dns_host *e = NULL;
	size_t n = 0, cap = 0;

	dns_hosts_free(h);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		char w[DNS_NAME_MAX + 2];
		struct fzgw_addr a;

		if (!eol)
			eol = end;
		if (word(&p, eol, w, sizeof(w)) && parse_addr(w, &a)) {
			while (word(&p, eol, w, sizeof(w))) {
				char name[DNS_NAME_MAX + 1];

				if (n == DNS_HOSTS_MAX ||
				    dns_name_normalize(w, name, sizeof(name)) < 0)
					continue;
				if (n == cap) {
					size_t ncap = cap ? cap * 2 : 32;
					struct dns_host *ne = realloc(e, ncap * sizeof(*e));

					if (!ne) {
						free(e);
						return -ENOMEM;
					}
					e = ne;
					cap = ncap;
				}
				memcpy(e[n].name, name, sizeof(name));
				e[n].addr = a;
				n++;
			}
		}
		p = eol + (eol < end);
	}
	h->e = e;
	h->n = n;
	return 0;
}

int dns_hosts_load(struct dns_hosts *h, const char *path)
{
	char *buf;
	size_t n;
	FILE *f;
	int rc;

	if (!(f = fopen(path, "r")))
		return -errno;
	if (!(buf = malloc(DNS_HOSTS_FILE_MAX))) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, DNS_HOSTS_FILE_MAX, f);
	rc = ferror(f) ? -EIO : dns_hosts_parse(h, buf, n);
	fclose(f);
	free(buf);
	return rc;
}

void dns_hosts_free(struct dns_hosts *h)
{
	free(h->e);
	h->e = NULL;
	h->n = 0;
}

int dns_hosts_lookup(const struct dns_hosts *h, const char *name, struct dns_result *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->e[i].name, name))
			dns_result_add(out, &h->e[i].addr);
	return out->n;
}
