/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ICE candidate strings in the SDP form Firezone signals through the portal:
 *   candidate:<foundation> <component> udp <priority> <ip> <port> typ host|srflx|prflx|relay
 *             [raddr <ip> rport <port>] [<extension name> <value>]...
 * and the RFC 8445 §5.1.2 priority. UDP only; hostnames (mDNS) and zones are refused, and so are
 * connection addresses nothing can be sent to (unspecified, multicast, also as v4-mapped IPv6).
 */
#ifndef FZGW_RELAY_ICE_CAND_H
#define FZGW_RELAY_ICE_CAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stun.h"

#define ICE_FOUNDATION_MAX 32
#define ICE_CAND_STR_MAX 256

enum ice_cand_type { ICE_HOST = 0, ICE_SRFLX = 1, ICE_PRFLX = 2, ICE_RELAY = 3 };

struct ice_cand {
	char foundation[ICE_FOUNDATION_MAX + 1];
	uint16_t component; /* 1-256 */
	uint32_t priority;  /* 1 - 2^31-1 */
	uint8_t type;       /* enum ice_cand_type */
	struct stun_addr addr;
	struct stun_addr raddr; /* family 0 when absent */
};

/* 0, or -1 with *why naming the field that was wrong. */
int ice_cand_parse(const char *s, size_t len, struct ice_cand *c, const char **why);
/* The string's length (< cap), or -1 if it does not fit or the candidate is invalid. */
int ice_cand_format(const struct ice_cand *c, char *out, size_t cap);

const char *ice_cand_type_name(uint8_t type);
uint32_t ice_type_preference(uint8_t type); /* host 126, prflx 110, srflx 100, relay 0 */
/* (2^24) * type preference + (2^8) * local preference + (256 - component) */
uint32_t ice_priority(uint8_t type, uint16_t local_pref, uint16_t component);
/* A foundation shared by candidates of one type, base address and server (RFC 8445 §5.1.1.3). */
void ice_foundation(uint8_t type, const struct stun_addr *base, const struct stun_addr *server,
		    char out[ICE_FOUNDATION_MAX + 1]);

#endif
