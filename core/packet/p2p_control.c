/* SPDX-License-Identifier: Apache-2.0 */
/* The in-tunnel p2p control packets the core itself sends. */
#include "p2p_control.h"

#include <errno.h>
#include <string.h>

int fzgw_p2p_goodbye(uint8_t *buf, size_t cap)
{
	const size_t len = FZGW_P2P_IPV6_HDR + FZGW_P2P_HDR;

	if (cap < len)
		return -ENOSPC;
	memset(buf, 0, len);   /* :: to ::, hop limit 0, reserved bytes 0 */
	buf[0] = 0x60;         /* version 6 */
	buf[5] = FZGW_P2P_HDR; /* payload length */
	buf[6] = 0xff;         /* next header: the control protocol */
	buf[FZGW_P2P_IPV6_HDR] = FZGW_P2P_GOODBYE;
	return (int)len;
}
