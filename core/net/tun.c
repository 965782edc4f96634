/* SPDX-License-Identifier: Apache-2.0 */
/* The Linux TUN device: /dev/net/tun in layer-3 mode without packet information. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>

#include "tun.h"
#include "vnet.h"

_Static_assert(FZGW_TUN_NAME_MAX == IFNAMSIZ, "FZGW_TUN_NAME_MAX must match IFNAMSIZ");

int fzgw_tun_open(const char *name, unsigned int flags, char *ifname_out)
{
	struct ifreq ifr;
	int hdr_sz = FZGW_VNET_HDR_LEN;
	int fd;
	int err;

	if (flags & ~(unsigned int)FZGW_TUN_F_VNET_HDR)
		return -EINVAL;
	if (!name || !*name)
		name = FZGW_TUN_DEFAULT_NAME;
	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;

	/* O_NONBLOCK at open: the TUN driver checks the file flags on every read and write. */
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (flags & FZGW_TUN_F_VNET_HDR)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		goto err_close;
	}
	/* The size is the device's: a persistent one may keep another from an earlier user. */
	if ((flags & FZGW_TUN_F_VNET_HDR) && ioctl(fd, TUNSETVNETHDRSZ, &hdr_sz) < 0) {
		err = -errno;
		goto err_close;
	}
	if (ifname_out) {
		memcpy(ifname_out, ifr.ifr_name, IFNAMSIZ);
		ifname_out[IFNAMSIZ - 1] = '\0';
	}
	return fd;

err_close:
	close(fd);
	return err;
}

int fzgw_tun_set_offload(int fd, unsigned int want)
{
	const unsigned long tcp = FZGW_TUN_F_CSUM | FZGW_TUN_F_TSO4 | FZGW_TUN_F_TSO6;
	const unsigned long udp = FZGW_TUN_F_USO4 | FZGW_TUN_F_USO6;
	const unsigned int known = FZGW_TUN_OFFLOAD_TCP | FZGW_TUN_OFFLOAD_UDP;
	struct ifreq ifr;

	if (!(want & FZGW_TUN_OFFLOAD_TCP) || (want & ~known))
		return -EINVAL;
	/* Without the header, GSO records and partial checksums would pass for plain packets. */
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	if (!(ifr.ifr_flags & IFF_VNET_HDR))
		return -EINVAL;
	/* USO came in Linux 6.2; older kernels refuse the unknown bits with EINVAL. */
	if ((want & FZGW_TUN_OFFLOAD_UDP) && ioctl(fd, TUNSETOFFLOAD, tcp | udp) == 0)
		return FZGW_TUN_OFFLOAD_TCP | FZGW_TUN_OFFLOAD_UDP;
	if (ioctl(fd, TUNSETOFFLOAD, tcp) < 0)
		return -errno;
	return FZGW_TUN_OFFLOAD_TCP;
}

int fzgw_tun_read_batch(int fd, uint8_t *const *bufs, size_t *lens, size_t n)
{
	size_t i;
	ssize_t r;

	if (n > INT_MAX)
		n = INT_MAX;
	for (i = 0; i < n; i++)
		if (lens[i] == 0)
			return -EINVAL;

	for (i = 0; i < n; i++) {
		do
			r = read(fd, bufs[i], lens[i]);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			if (i > 0)
				break;
			return -errno;
		}
		if (r == 0)
			break;
		lens[i] = (size_t)r;
	}
	return i > 0 ? (int)i : -EAGAIN;
}

int fzgw_tun_write(int fd, const uint8_t *pkt, size_t len)
{
	ssize_t r;

	do
		r = write(fd, pkt, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	/* A TUN write is one packet, never partial. */
	return 0;
}

int fzgw_tun_writev(int fd, const struct iovec *iov, int n)
{
	ssize_t r;

	do
		r = writev(fd, iov, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return 0;
}

/* Errors that concern one packet and not the device: skip it and go on. */
bool fzgw_tun_write_refused(int err)
{
	return err == -EINVAL || err == -EMSGSIZE;
}

int fzgw_tun_write_batch(int fd, uint8_t *const *bufs, const size_t *lens, size_t n,
			 size_t *n_refused)
{
	size_t i;
	size_t refused = 0;
	int err = 0;

	if (n > INT_MAX)
		n = INT_MAX;
	for (i = 0; i < n; i++) {
		err = fzgw_tun_write(fd, bufs[i], lens[i]);
		if (err == 0)
			continue;
		if (!fzgw_tun_write_refused(err))
			break;
		refused++;
		err = 0;
	}
	if (n_refused)
		*n_refused = refused;
	if (i == 0 && err)
		return err;
	return (int)i;
}
