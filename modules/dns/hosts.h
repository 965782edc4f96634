/* SPDX-License-Identifier: Apache-2.0 */
/* A hosts file (hosts(5)) read into memory, consulted before the nameservers. */
#ifndef FZGW_DNS_HOSTS_H
#define FZGW_DNS_HOSTS_H

#include <stddef.h>

#include <dnsname/dns_service.h>
#include <dnsname/pattern.h>

#define DNS_HOSTS_MAX 8192          /* (name, address) pairs kept; the rest is ignored */
#define DNS_HOSTS_FILE_MAX (1 << 20) /* bytes read */

struct dns_host {
	char name[DNS_NAME_MAX + 1];
	struct fzgw_addr addr;
};

struct dns_hosts {
	size_t n;
	struct dns_host *e;
};

/*
 * Parses hosts(5) text: "ADDRESS NAME [ALIAS...]" per line, "#" comments. Lines with a bad
 * address (or a scoped IPv6 one) and bad names are skipped. Replaces @h's entries.
 * 0 or -ENOMEM; @h stays empty on error.
 */
int dns_hosts_parse(struct dns_hosts *h, const char *text, size_t len);
/* Reads @path (at most DNS_HOSTS_FILE_MAX bytes) and parses it. 0 or -errno. */
int dns_hosts_load(struct dns_hosts *h, const char *path);
void dns_hosts_free(struct dns_hosts *h);
/* Fills @out (status 0) with @name's addresses, IPv4 first; returns how many (0: none). */
int dns_hosts_lookup(const struct dns_hosts *h, const char *name, struct dns_result *out);

#endif
