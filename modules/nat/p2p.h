/* SPDX-License-Identifier: Apache-2.0 */
/* The in-tunnel p2p control messages: parsing what clients send, building what we answer. */
#ifndef FZGW_NAT_P2P_H
#define FZGW_NAT_P2P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dnsname/pattern.h>
#include <fzgw/module.h>

/*
 * On the wire: an IPv6 packet from :: to ::, next header 0xff, hop limit 0; its payload is
 * an 8-byte header whose first byte is the event type (the other 7 are reserved, sent as
 * zero and not checked, so later versions may use them), then a JSON document.
 */
enum {
	P2P_ASSIGNED_IPS = 0,  /* client -> gateway: {"resource","domain","proxy_ips":[...]} */
	P2P_DOMAIN_STATUS = 1, /* gateway -> client: {"resource","domain","status"} */
	P2P_GOODBYE = 2,       /* either way, no payload: the connection ends */
	P2P_NO_AUTHORIZATION = 3, /* receiver -> sender: a destination without authorization */
};

enum {
	P2P_IPV6_HDR = 40,
	P2P_HDR = 8,
	/* whatever a packet of the tunnel's MTU (1280, as the original's limit) carries after
	 * the two headers; the longest AssignedIps of today's clients is 402 bytes */
	P2P_JSON_MAX = FZGW_IP_MAX_SIZE - P2P_IPV6_HDR - P2P_HDR,
	P2P_ID_MAX = 40, /* as the ABI's resource id */
};

/* Why a message was refused; the names are drop counters. */
enum p2p_error {
	P2P_OK = 0,
	P2P_ERR_SHORT,     /* fewer than 8 bytes of control header */
	P2P_ERR_TOO_BIG,   /* JSON longer than P2P_JSON_MAX */
	P2P_ERR_JSON,      /* not one JSON object (syntax, duplicate keys, NUL, trailing bytes) */
	P2P_ERR_SCHEMA,    /* a member missing or of the wrong type */
	P2P_ERR_RESOURCE,  /* resource id empty, too long or with odd characters */
	P2P_ERR_DOMAIN,    /* not a host name */
	P2P_ERR_IP_COUNT,  /* no proxy IP, or more than FZGW_MAX_PROXY_IPS */
	P2P_ERR_IP,        /* a proxy IP that does not parse, repeats, or lies outside the ranges */
	P2P_ERR_COUNT
};

struct p2p_assigned_ips {
	char resource[P2P_ID_MAX];
	char domain[DNS_NAME_MAX + 1]; /* normalised: lower case, no trailing dot */
	uint8_t n;
	struct fzgw_addr ips[FZGW_MAX_PROXY_IPS];
};

const char *p2p_error_name(enum p2p_error e);

/* 100.96.0.0/11 and fd00:2021:1111:8000::/107, where clients pick proxy IPs. */
bool p2p_in_proxy_range(const struct fzgw_addr *a);

/* The event type of a control payload (the bytes after the IPv6 header), or -1 if too short. */
int p2p_event_type(const uint8_t *payload, size_t len);

/* Parses an AssignedIps payload (the whole control payload, header included) into @out. */
enum p2p_error p2p_parse_assigned_ips(const uint8_t *payload, size_t len,
				      struct p2p_assigned_ips *out);

/*
 * Writes a whole control packet of @type with @json (may be NULL, @json_len 0) into @buf.
 * Returns its length, or -ENOSPC when @cap is too small.
 */
int p2p_build(uint8_t *buf, size_t cap, uint8_t type, const char *json, size_t json_len);

/* Writes the DomainStatus JSON into @buf; its length, or -ENOSPC / -EINVAL. */
int p2p_domain_status_json(char *buf, size_t cap, const char *resource, const char *domain,
			   bool active);

#endif
