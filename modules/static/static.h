/* SPDX-License-Identifier: Apache-2.0 */
/* The static control plane's internals, shared by its files and its unit tests. */
#ifndef FZGW_STATIC_H
#define FZGW_STATIC_H

#include <stdbool.h>
#include <stdint.h>

#include <fzgw/module.h>

#define STATIC_MAX_PEERS 16384
#define STATIC_MAX_RESOURCES 4096
#define STATIC_MAX_GRANTS 256 /* resources per peer */
#define STATIC_ID_MAX 40      /* as the ABI's client_id[] and id[] */
#define STATIC_PATTERN_MAX 256

struct static_peer {
	char id[STATIC_ID_MAX];
	uint8_t public_key[32];
	uint8_t preshared_key[32];
	bool has_psk;
	struct fzgw_addr ipv4, ipv6; /* family 0 when absent */
	int64_t expires_at;          /* unix seconds, 0 = never */
	int n_grants;
	uint16_t *grants;            /* indexes into static_conf.res, file order */
};

/* One parsed, validated settings group. */
struct static_conf {
	struct fzgw_addr ipv4, ipv6; /* the gateway's tunnel addresses */
	int n_res;
	/* file order; the module owns what the ABI's borrowed pointers point to (pattern,
	 * filters and their ranges): static_conf_free() frees them */
	struct fzgw_resource *res;
	uint16_t *res_by_id;         /* indexes into res, sorted by id (for lookups) */
	int n_peers;
	struct static_peer *peers;   /* sodium_allocarray(): holds preshared keys */
};

struct static_state {
	struct fzgw_ctx *ctx;
	const struct fzgw_api *api;
	struct static_conf conf;
	struct fzgw_timer *start_timer; /* the first publication, once every module is up */
	bool published;
};

/* Reads and validates @s into @out (zeroed first). 0, or -EINVAL after one settings_error
 * line naming FILE:LINE and the key, or -ENOMEM. On error @out holds nothing. */
int static_conf_parse(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		      const struct fzgw_settings *s, struct static_conf *out)
	__attribute__((warn_unused_result));
/* Wipes and frees; accepts a zeroed or half-built conf. */
void static_conf_free(struct static_conf *c);
/* Index of the resource called @id, or -1. */
int static_conf_find_res(const struct static_conf *c, const char *id);
/* Index of the peer called @id, or -1. */
int static_conf_find_peer(const struct static_conf *c, const char *id);
bool static_res_equal(const struct fzgw_resource *a, const struct fzgw_resource *b);

/* Parsers for single values; they do not log. 0 or -EINVAL. */
int static_parse_addr(const char *s, struct fzgw_addr *out);
int static_parse_cidr(const char *s, struct fzgw_addr *net, uint8_t *prefix_len);
/* "80, 8000-8999": appends to *ranges (realloc'd, owned by the caller, *n entries).
 * 0, -EINVAL or -ENOMEM. */
int static_parse_ports(const char *s, struct fzgw_port_range **ranges, uint32_t *n);
/* Appends one range to *ranges. 0 or -ENOMEM. */
int static_add_range(struct fzgw_port_range **ranges, uint32_t *n, uint16_t first, uint16_t last);
/* Base64 (with padding) of exactly 32 bytes. */
int static_parse_key(const char *s, uint8_t out[32]);
int static_parse_dns_pattern(const char *s, char *out, size_t outlen);
bool static_in_tunnel(const struct fzgw_addr *a);
bool static_addr_equal(const struct fzgw_addr *a, const struct fzgw_addr *b);

/* Everything: IFACE_CONFIG, then one PEER_AUTHORIZED per (peer, grant). */
void static_publish_all(struct static_state *st);
/* What changed between @old and @new (see docs/modules/static.md for the order). */
void static_publish_diff(struct static_state *st, const struct static_conf *old,
			 const struct static_conf *new_conf);

#endif
