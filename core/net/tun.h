/* SPDX-License-Identifier: Apache-2.0 */
/* The Linux TUN device: open it, and move batches of IP packets in and out of it. */
#ifndef FZGW_NET_TUN_H
#define FZGW_NET_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define FZGW_TUN_DEFAULT_NAME "tun-firezone"
#define FZGW_TUN_NAME_MAX 16 /* IFNAMSIZ, the terminating NUL included */

/* Options for fzgw_tun_open(). */
enum fzgw_tun_flags {
	/*
	 * IFF_VNET_HDR: a 10-byte struct fzgw_vnet_hdr (vnet.h) in front of every packet
	 * read and written, so that the kernel can hand over and take 64 KB TCP/UDP
	 * super-packets once fzgw_tun_set_offload() asked for them. Reads and writes on
	 * such an fd carry the header: the batch calls below then move records (header and
	 * packet), and fzgw_tun_writev() writes one from pieces.
	 */
	FZGW_TUN_F_VNET_HDR = 1u << 0,
};

/* What fzgw_tun_set_offload() asks for and reports. */
enum fzgw_tun_offload {
	FZGW_TUN_OFFLOAD_TCP = 1u << 0, /* TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 */
	FZGW_TUN_OFFLOAD_UDP = 1u << 1, /* TUN_F_USO4 | TUN_F_USO6 (Linux 6.2) */
};

/*
 * Opens /dev/net/tun and attaches it to the layer-3 interface @name (NULL or "" means
 * FZGW_TUN_DEFAULT_NAME), created when missing: IFF_TUN | IFF_NO_PI, so every read and
 * write is exactly one IPv4 or IPv6 packet, preceded by a struct fzgw_vnet_hdr with
 * FZGW_TUN_F_VNET_HDR. The fd is non-blocking and close-on-exec. The interface is not
 * persistent: it goes away when the last fd closes. When @ifname_out is not NULL it
 * receives the name the kernel used (FZGW_TUN_NAME_MAX bytes).
 * Returns the fd, or -ENAMETOOLONG, -EINVAL (unknown flag), -EPERM (no CAP_NET_ADMIN),
 * -EBUSY (name taken by another device) or another -errno from open()/ioctl().
 */
int fzgw_tun_open(const char *name, unsigned int flags, char *ifname_out)
	__attribute__((warn_unused_result));

/*
 * Asks the kernel for the offloads in @want (FZGW_TUN_OFFLOAD_*) on a TUN opened with
 * FZGW_TUN_F_VNET_HDR: TCP is required, UDP is dropped from the request when the kernel
 * refuses it. From then on reads may return GSO records and packets whose checksum is
 * left partial (FZGW_VNET_F_NEEDS_CSUM). Returns the mask in effect (TCP at least), or
 * -EINVAL when @fd has no vnet header or @want lacks TCP, or the kernel's -errno for the
 * TCP offloads (the fd then has none and can be closed).
 */
int fzgw_tun_set_offload(int fd, unsigned int want) __attribute__((warn_unused_result));

/*
 * Reads up to @n packets, one read() each, until the TUN has none left (EAGAIN). On
 * entry lens[i] is the capacity of bufs[i] (not 0); on return it is the bytes read. A
 * packet larger than the capacity is cut to it without notice (IFF_NO_PI has no flag
 * for that): size buffers above the MTU, and the parser's check of the IP length
 * against the bytes read drops what was cut. Returns the number of packets read (at
 * least 1), -EAGAIN when none was waiting, -EINVAL for a zero capacity, or another
 * -errno (-EBADFD once the interface was deleted). An error after some packets were read
 * is left for the next call.
 */
int fzgw_tun_read_batch(int fd, uint8_t *const *bufs, size_t *lens, size_t n);

/*
 * Writes one IP packet. 0, -EINVAL when the kernel refuses it (not IPv4 or IPv6), -EAGAIN,
 * or another -errno.
 */
int fzgw_tun_write(int fd, const uint8_t *pkt, size_t len);

/*
 * Writes one packet (with FZGW_TUN_F_VNET_HDR: one record, header first) gathered from
 * @n pieces. Same results as fzgw_tun_write().
 */
int fzgw_tun_writev(int fd, const struct iovec *iov, int n);

/* Whether a write error concerns that one packet (EINVAL, EMSGSIZE) and not the device. */
bool fzgw_tun_write_refused(int err);

/*
 * Writes bufs[i] (lens[i] bytes) for i in [0, n), in order. A packet the kernel refuses
 * on its own (EINVAL, EMSGSIZE) is skipped and counted in *n_refused (may be
 * NULL). Returns the number of packets handled (written or refused): less than @n only
 * when the kernel said EAGAIN or the fd failed, and the caller keeps or drops the rest;
 * a negative errno when the first packet already met such an error.
 */
int fzgw_tun_write_batch(int fd, uint8_t *const *bufs, const size_t *lens, size_t n,
			 size_t *n_refused);

#endif
