/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TURN ChannelData framing (RFC 8656 §12.4): a 4-byte header (channel number, length) and the
 * payload. Over UDP padding is optional, so a datagram may end at the payload or at the next
 * multiple of 4; over a stream the padding is always there.
 */
#ifndef FZGW_RELAY_CHANNELDATA_H
#define FZGW_RELAY_CHANNELDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CD_HEADER_LEN 4
#define CD_CHANNEL_MIN 0x4000
#define CD_CHANNEL_MAX 0x4FFF

enum cd_err {
	CD_E_SHORT = -1,   /* fewer than 4 bytes */
	CD_E_CHANNEL = -2, /* the number is not 0x4000-0x4FFF */
	CD_E_LENGTH = -3,  /* the length does not fit the datagram */
	CD_E_SPACE = -4,   /* the output buffer is too small */
	CD_E_MORE = -5,    /* stream: the frame is not complete yet */
};

struct cd_frame {
	uint16_t channel;
	uint16_t len;
	const uint8_t *payload; /* borrowed */
	size_t consumed;        /* bytes the frame took (header, payload, padding) */
};

static inline bool cd_channel_valid(uint16_t ch)
{
	return ch >= CD_CHANNEL_MIN && ch <= CD_CHANNEL_MAX;
}

/* One datagram: 0 or a negative enum cd_err. */
int cd_parse_datagram(const uint8_t *d, size_t len, struct cd_frame *f);
/* The first frame of a stream buffer: 0, CD_E_MORE, or another error. */
int cd_parse_stream(const uint8_t *d, size_t len, struct cd_frame *f);
/* Writes a frame; pad: add zero padding to a multiple of 4 (stream). Returns the length written
 * or a negative enum cd_err. The payload may already sit at out + 4 (moved in place). */
int cd_build(uint8_t *out, size_t cap, uint16_t channel, const uint8_t *payload, size_t len, bool pad);
const char *cd_strerror(int err);

#endif
