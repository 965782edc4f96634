/* SPDX-License-Identifier: Apache-2.0 */
/* Classifies a datagram by type and exact length before any cryptography is spent on it. */
#include "messages.h"

int fzgw_wg_msg_classify(const uint8_t *buf, size_t len)
{
	if (len < 4)
		return -FZGW_WG_DROP_BAD_LENGTH;
	/* The type is a little-endian u32 on the wire: the three upper bytes are
	 * reserved and a non-zero one makes the whole type unknown (the kernel
	 * compares the full le32). */
	if (buf[1] | buf[2] | buf[3])
		return -FZGW_WG_DROP_BAD_RESERVED;

	switch (buf[0]) {
	case FZGW_WG_MSG_INITIATION:
		if (len != FZGW_WG_INITIATION_LEN)
			return -FZGW_WG_DROP_BAD_LENGTH;
		return FZGW_WG_MSG_INITIATION;
	case FZGW_WG_MSG_RESPONSE:
		if (len != FZGW_WG_RESPONSE_LEN)
			return -FZGW_WG_DROP_BAD_LENGTH;
		return FZGW_WG_MSG_RESPONSE;
	case FZGW_WG_MSG_COOKIE:
		if (len != FZGW_WG_COOKIE_REPLY_LEN)
			return -FZGW_WG_DROP_BAD_LENGTH;
		return FZGW_WG_MSG_COOKIE;
	case FZGW_WG_MSG_DATA:
		if (len < FZGW_WG_DATA_MIN_LEN)
			return -FZGW_WG_DROP_BAD_LENGTH;
		return FZGW_WG_MSG_DATA;
	default:
		return -FZGW_WG_DROP_BAD_TYPE;
	}
}
