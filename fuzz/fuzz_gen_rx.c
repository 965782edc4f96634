/* SPDX-License-Identifier: Apache-2.0 */
/* The load generator's receive side on hostile datagrams: which session a message is for
 * (receiver index), whether it is a data message of a step's size, and the payload words. */
#include <string.h>

#include "fuzz.h"
#include "gen.h"

enum { SESSIONS = 8 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gen_session s[SESSIONS];
	static uint32_t map[2 * 4 * SESSIONS];
	struct gen_sessions set = { .s = s, .n = SESSIONS, .fd = -1, .map = map,
				    .map_mask = 4 * SESSIONS - 1 };
	static const size_t sizes[] = { 100, 1420, GEN_MIN_SIZE };
	struct gen_session *hit;
	uint32_t step, session, seq;
	uint64_t ctr;

	memset(s, 0, sizeof(s));
	memset(map, 0, sizeof(map));
	/* sessions whose indices are the input's first words (collisions and repeats welcome) */
	for (uint32_t i = 0; i < SESSIONS; i++) {
		s[i].id = i;
		s[i].set = &set;
		s[i].local_index = size >= 4 * (i + 1) ? gen_le32(data + 4 * i) : i * 0x9e3779b9u;
		gen_sessions_index(&set, s[i].local_index, i);
	}
	hit = gen_sessions_for(&set, data, size);
	CHECK(!hit || (hit >= s && hit < s + SESSIONS));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (gen_rx_data(&set, data, size, sizes[i], &hit, &ctr) == 0) {
			CHECK(hit >= s && hit < s + SESSIONS);
			CHECK(size >= FZGW_WG_DATA_MIN_LEN + sizes[i] && data[0] == FZGW_WG_MSG_DATA);
			CHECK(gen_le32(data + 4) == hit->local_index);
		}
	}
	if (gen_payload_read(data, size, &step, &session, &seq) == 0)
		CHECK(size >= GEN_PAYLOAD_HDR && gen_get32(data + 12) == seq);
	return 0;
}
