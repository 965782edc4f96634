/* SPDX-License-Identifier: Apache-2.0 */
/* The "dns.resolve" service the dns module offers other modules (a versioned function table).
 * Shared by the dns module (which registers it) and its users: include <dnsname/dns_service.h>. */
#ifndef FZGW_DNSNAME_DNS_SERVICE_H
#define FZGW_DNSNAME_DNS_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

#define DNS_SERVICE_NAME "dns.resolve"
#define DNS_SERVICE_VERSION 1
#define DNS_RESULT_PER_FAMILY 8 /* addresses a result keeps of each family (the smallest) */
#define DNS_RESULT_MAX (2 * DNS_RESULT_PER_FAMILY)

/*
 * A finished lookup. @status is 0 when at least one A or AAAA answer came back (then
 * n >= 1), else a negative errno: -ENOENT (no such name or no address), -ETIMEDOUT (the
 * overall timeout), -EIO (server failure, refused, no nameserver), -ESHUTDOWN (the dns
 * module is being unloaded), -ECANCELED is never reported (cancel() means no callback).
 * Addresses are IPv4 first, then IPv6, each family ascending (byte order), no duplicates:
 * of a longer answer, each family's DNS_RESULT_PER_FAMILY smallest (a client assigns 4 proxy
 * IPs per family and the nat module maps them round robin onto the sorted addresses).
 */
struct dns_result {
	int status;
	uint8_t n;
	struct fzgw_addr addrs[DNS_RESULT_MAX];
};

/* Called once per resolve() from the loop, never from inside resolve(). @res is borrowed. */
typedef void (*dns_resolve_fn)(void *arg, uint64_t id, const struct dns_result *res);

/*
 * Look it up with api->service_lookup(ctx, DNS_SERVICE_NAME) each time it is needed (the
 * table moves when the dns module restarts), then check version and struct_size.
 */
struct dns_service {
	uint32_t version;   /* DNS_SERVICE_VERSION */
	uint32_t struct_size;
	void *self;         /* the first argument of every function */
	/*
	 * Starts the A and AAAA lookups of @name (a host name) in parallel. On success the
	 * lookup's id (never 0) is in *id and @fn runs exactly once later, unless cancelled.
	 * Errors (no callback then): -EINVAL (not a host name), -EBUSY (too many lookups in
	 * flight), -ENOMEM, -ENOTCONN (no resolver: check-only mode).
	 */
	int (*resolve)(void *self, const char *name, dns_resolve_fn fn, void *arg, uint64_t *id);
	/* No callback for @id after this; an unknown or finished id is ignored. */
	void (*cancel)(void *self, uint64_t id);
	/* dns_pattern_match() of <dnsname/pattern.h>, for modules that do not link it. */
	bool (*match)(const char *pattern, const char *domain);
};

/* Adds @a to @r (dns_result_add() in the fzgw_dnsname library): a duplicate is ignored, a
 * family already full keeps its DNS_RESULT_PER_FAMILY smallest. */
void dns_result_add(struct dns_result *r, const struct fzgw_addr *a);

#endif
