/* SPDX-License-Identifier: Apache-2.0 */
/* ChannelData framing: every length checked against what the buffer holds. */
#include <string.h>

#include "channeldata.h"

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int header(const uint8_t *d, size_t len, struct cd_frame *f)
{
	memset(f, 0, sizeof(*f));
	if (!d || len < CD_HEADER_LEN)
		return CD_E_SHORT;
	f->channel = (uint16_t)(d[0] << 8 | d[1]);
	f->len = (uint16_t)(d[2] << 8 | d[3]);
	if (!cd_channel_valid(f->channel))
		return CD_E_CHANNEL;
	f->payload = d + CD_HEADER_LEN;
	return 0;
}

int cd_parse_datagram(const uint8_t *d, size_t len, struct cd_frame *f)
{
	int err = header(d, len, f);
	size_t body;

	if (err)
		return err;
	body = len - CD_HEADER_LEN;
	if (body != f->len && body != pad4(f->len)) {
		f->payload = NULL;
		return CD_E_LENGTH;
	}
	f->consumed = len;
	return 0;
}

int cd_parse_stream(const uint8_t *d, size_t len, struct cd_frame *f)
{
	int err = header(d, len, f);

	if (err == CD_E_SHORT)
		return CD_E_MORE;
	if (err)
		return err;
	if (len - CD_HEADER_LEN < pad4(f->len)) {
		f->payload = NULL;
		return CD_E_MORE;
	}
	f->consumed = CD_HEADER_LEN + pad4(f->len);
	return 0;
}

int cd_build(uint8_t *out, size_t cap, uint16_t channel, const uint8_t *payload, size_t len, bool pad)
{
	size_t total = CD_HEADER_LEN + (pad ? pad4(len) : len);

	if (!cd_channel_valid(channel))
		return CD_E_CHANNEL;
	if (len > 0xFFFF || (len && !payload))
		return CD_E_LENGTH;
	if (!out || total > cap || total > 0x7FFFFFFF)
		return CD_E_SPACE;
	out[0] = (uint8_t)(channel >> 8);
	out[1] = (uint8_t)channel;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	if (len)
		memmove(out + CD_HEADER_LEN, payload, len);
	memset(out + CD_HEADER_LEN + len, 0, total - CD_HEADER_LEN - len);
	return (int)total;
}

const char *cd_strerror(int err)
{
	switch (err) {
	case 0: return "ok";
	case CD_E_SHORT: return "ChannelData shorter than its 4-byte header";
	case CD_E_CHANNEL: return "ChannelData channel number outside 0x4000-0x4FFF";
	case CD_E_LENGTH: return "ChannelData length does not fit the datagram";
	case CD_E_SPACE: return "ChannelData output buffer too small";
	case CD_E_MORE: return "ChannelData frame incomplete";
	}
	return "unknown error";
}
