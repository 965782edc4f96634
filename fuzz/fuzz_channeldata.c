/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes ChannelData framing and the RFC 7983 classifier. Oracles: the classifier says
 * ChannelData exactly when the datagram parser takes it; a parsed frame rebuilds to the same
 * bytes (padding zeroed, padded or not as it came); the stream parser walks the input as a
 * sequence of frames without reading past it, each frame consistent with the datagram parser.
 */
#include <string.h>

#include "../modules/relay/channeldata.h"
#include "../modules/relay/demux.h"
#include "../modules/relay/stun.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[4 + 0xFFFF + 3];
	struct cd_frame f, g;
	enum relay_class c = relay_classify(data, size);
	int err = cd_parse_datagram(data, size, &f);
	size_t off;

	CHECK((c == RELAY_CLASS_CHANNELDATA) == (err == 0));
	if (c == RELAY_CLASS_STUN) {
		struct stun_msg m;
		int e = stun_parse(&m, data, size);

		CHECK(e != STUN_E_SHORT && e != STUN_E_TYPE && e != STUN_E_COOKIE && e != STUN_E_LENGTH);
	}
	if (err == 0) {
		bool padded = size != (size_t)CD_HEADER_LEN + f.len;
		int n = cd_build(out, sizeof(out), f.channel, f.payload, f.len, padded);

		CHECK(n == (int)size && f.payload + f.len <= data + size);
		CHECK(!memcmp(out, data, CD_HEADER_LEN + f.len));
		for (size_t i = CD_HEADER_LEN + f.len; i < size; i++)
			CHECK(out[i] == 0);
	}
	for (off = 0; off < size; off += g.consumed) {
		err = cd_parse_stream(data + off, size - off, &g);
		if (err)
			break;
		CHECK(g.consumed % 4 == 0 && g.consumed >= CD_HEADER_LEN + (size_t)g.len);
		CHECK(off + g.consumed <= size);
		CHECK(cd_parse_datagram(data + off, g.consumed, &f) == 0 && f.len == g.len);
	}
	return 0;
}
