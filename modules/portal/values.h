/* SPDX-License-Identifier: Apache-2.0 */
/* Parsers for the single values of portal messages: UUIDs, keys, addresses, networks, names. */
#ifndef FZGW_PORTAL_VALUES_H
#define FZGW_PORTAL_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

/* Canonical UUID text: 36 characters, lowercase, hyphenated. */
#define PZ_UUID_LEN 36
#define PZ_UUID_SIZE (PZ_UUID_LEN + 1)

/*
 * The UUID forms the original accepts: hyphenated, 32 hex digits, braced, and "urn:uuid:";
 * hex in either case. @out (may be NULL) gets the canonical form. 0 or -EINVAL.
 */
int pz_uuid_parse(const char *s, char out[PZ_UUID_SIZE]);
/* Standard base64 with padding of exactly 32 bytes (canonical: unused bits zero). */
int pz_key_parse(const char *s, uint8_t out[32]);
/* An IPv4 (@family 4) or IPv6 (@family 6) address in its usual text form. */
int pz_addr_parse(const char *s, int family, struct fzgw_addr *out);
/* "ADDR/LEN", either family, host bits clear (the original's network type refuses them). */
int pz_cidr_parse(const char *s, struct fzgw_addr *net, uint8_t *prefix_len);
/* "1.2.3.4:3478" or "[2001:db8::1]:3478", port 0-65535; @out gets the normalised text. */
int pz_sockaddr_parse(const char *s, char *out, size_t outlen);
/* A DNS resource's name pattern: 1-253 characters, printable ASCII without spaces or UTF-8
 * (Unicode letters, as the portal allows them); ASCII stored lowercase, the rest as sent.
 * @outlen must exceed strlen(@s). */
int pz_dns_pattern_parse(const char *s, char *out, size_t outlen);
bool pz_addr_equal(const struct fzgw_addr *a, const struct fzgw_addr *b);

#endif
