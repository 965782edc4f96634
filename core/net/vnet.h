/* SPDX-License-Identifier: Apache-2.0 */
/* The virtio_net_hdr in front of every packet of a TUN with offloads, and its constants. */
#ifndef FZGW_NET_VNET_H
#define FZGW_NET_VNET_H

#include <stdint.h>

/*
 * struct virtio_net_hdr (include/uapi/linux/virtio_net.h), defined here because the
 * distribution headers may predate USO and GSO_UDP_L4 (Linux 6.2, 4.18). The TUN uses
 * the host's byte order for the 16-bit fields unless TUNSETVNETLE/BE says otherwise,
 * and nothing here sets those.
 */
struct fzgw_vnet_hdr {
	uint8_t flags;        /* FZGW_VNET_F_* */
	uint8_t gso_type;     /* FZGW_VNET_GSO_* */
	uint16_t hdr_len;     /* IP + TCP/UDP headers */
	uint16_t gso_size;    /* payload bytes per segment */
	uint16_t csum_start;  /* where the L4 checksum starts: the IP header length */
	uint16_t csum_offset; /* from csum_start to the checksum field */
};

#define FZGW_VNET_HDR_LEN 10u

_Static_assert(sizeof(struct fzgw_vnet_hdr) == FZGW_VNET_HDR_LEN, "virtio_net_hdr is 10 bytes");

enum {
	FZGW_VNET_F_NEEDS_CSUM = 1, /* CHECKSUM_PARTIAL: the L4 field holds the pseudo-header sum */
	FZGW_VNET_F_DATA_VALID = 2, /* the checksum was verified already */

	FZGW_VNET_GSO_NONE = 0,
	FZGW_VNET_GSO_TCPV4 = 1,
	FZGW_VNET_GSO_TCPV6 = 4,
	FZGW_VNET_GSO_UDP_L4 = 5,
	FZGW_VNET_GSO_ECN = 0x80, /* never asked for (no TUN_F_TSO_ECN): refused */
};

/* TUNSETOFFLOAD bits (include/uapi/linux/if_tun.h); USO needs Linux 6.2. */
enum {
	FZGW_TUN_F_CSUM = 0x01,
	FZGW_TUN_F_TSO4 = 0x02,
	FZGW_TUN_F_TSO6 = 0x04,
	FZGW_TUN_F_USO4 = 0x20,
	FZGW_TUN_F_USO6 = 0x40,
};

/* The largest packet a GSO record carries: the IPv4 total length is 16 bits. */
#define FZGW_GSO_MAX_LEN 65535u

#endif
