/* SPDX-License-Identifier: Apache-2.0 */
/* The RFC 7983 classifier: header checks only, no allocation, no state. */
#include "channeldata.h"
#include "demux.h"
#include "stun.h"

static int is_stun(const uint8_t *d, size_t len)
{
	size_t body;

	if (len < STUN_HEADER_LEN || d[0] > 3)
		return 0;
	if (d[4] != 0x21 || d[5] != 0x12 || d[6] != 0xA4 || d[7] != 0x42)
		return 0;
	body = (size_t)d[2] << 8 | d[3];
	return body % 4 == 0 && body + STUN_HEADER_LEN == len;
}

enum relay_class relay_classify(const uint8_t *d, size_t len)
{
	struct cd_frame f;

	if (!d || !len)
		return RELAY_CLASS_WIREGUARD;
	if (is_stun(d, len))
		return RELAY_CLASS_STUN;
	if (d[0] >= 0x40 && d[0] <= 0x4F && cd_parse_datagram(d, len, &f) == 0)
		return RELAY_CLASS_CHANNELDATA;
	return RELAY_CLASS_WIREGUARD;
}

const char *relay_class_name(enum relay_class c)
{
	switch (c) {
	case RELAY_CLASS_WIREGUARD: return "wireguard";
	case RELAY_CLASS_STUN: return "stun";
	case RELAY_CLASS_CHANNELDATA: return "channeldata";
	}
	return "?";
}
