/* SPDX-License-Identifier: Apache-2.0 */
/* Message classification: exact lengths, reserved bytes and types are checked with no crypto at all. */
#include "test_wg_harness.c"

static const struct {
	uint8_t type;
	size_t len;
} kinds[] = {
	{ FZGW_WG_MSG_INITIATION, FZGW_WG_INITIATION_LEN },
	{ FZGW_WG_MSG_RESPONSE, FZGW_WG_RESPONSE_LEN },
	{ FZGW_WG_MSG_COOKIE, FZGW_WG_COOKIE_REPLY_LEN },
	{ FZGW_WG_MSG_DATA, FZGW_WG_DATA_MIN_LEN },
};

static void test_classify(void **state)
{
	uint8_t buf[256];

	memset(buf, 0xab, sizeof(buf));
	for (size_t k = 0; k < 4; k++) {
		size_t len = kinds[k].len;

		buf[0] = kinds[k].type;
		buf[1] = buf[2] = buf[3] = 0;
		assert_int_equal(fzgw_wg_msg_classify(buf, len), kinds[k].type);
		assert_int_equal(fzgw_wg_msg_classify(buf, len - 1),
				 -FZGW_WG_DROP_BAD_LENGTH);
		if (kinds[k].type == FZGW_WG_MSG_DATA) {
			/* Data may be longer: any payload length. */
			assert_int_equal(fzgw_wg_msg_classify(buf, len + 1),
					 FZGW_WG_MSG_DATA);
			assert_int_equal(fzgw_wg_msg_classify(buf, 200), FZGW_WG_MSG_DATA);
		} else {
			assert_int_equal(fzgw_wg_msg_classify(buf, len + 1),
					 -FZGW_WG_DROP_BAD_LENGTH);
		}
		for (int r = 1; r <= 3; r++) {
			for (int v = 1; v < 256; v++) {
				buf[r] = (uint8_t)v;
				assert_int_equal(fzgw_wg_msg_classify(buf, len),
						 -FZGW_WG_DROP_BAD_RESERVED);
			}
			buf[r] = 0;
		}
	}
	buf[1] = buf[2] = buf[3] = 0;
	for (int t = 0; t < 256; t++) {
		if (t >= 1 && t <= 4)
			continue;
		buf[0] = (uint8_t)t;
		assert_int_equal(fzgw_wg_msg_classify(buf, 148), -FZGW_WG_DROP_BAD_TYPE);
	}
	for (size_t len = 0; len < 4; len++)
		assert_int_equal(fzgw_wg_msg_classify(buf, len), -FZGW_WG_DROP_BAD_LENGTH);
}

/* Everything malformed goes through fzgw_wg_receive() too: every input is
 * dropped, counted, and the X25519 counter stays at zero. */
static void test_receive_without_crypto(void **state)
{
	struct wgt_world w;
	struct wgt_node *a, *b;
	struct fzgw_wg_peer *pa, *pb, *peer;
	struct fzgw_wg_stats st;
	uint8_t buf[300];
	size_t off, plen;
	uint64_t n = 0, dropped;
	int rc;

	wgt_world_init(&w, 9);
	a = wgt_node_add(&w, "192.0.2.1", 1);
	b = wgt_node_add(&w, "192.0.2.2", 2);
	wgt_pair(a, b, NULL, &pa, &pb);
	for (size_t k = 0; k < 4; k++) {
		for (int delta = -1; delta <= 1; delta++) {
			for (int r = 0; r <= 3; r++) {
				size_t len = kinds[k].len + (size_t)delta;

				memset(buf, 0x5c, sizeof(buf));
				buf[0] = kinds[k].type;
				buf[1] = buf[2] = buf[3] = 0;
				if (r)
					buf[r] = 1;
				rc = fzgw_wg_receive(b->wg, &a->ep, buf, len, &peer, &off,
						     &plen);
				n++;
				assert_true(rc < 0);
				assert_null(peer);
			}
		}
	}
	for (int t = 5; t < 256; t++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = (uint8_t)t;
		rc = fzgw_wg_receive(b->wg, &a->ep, buf, 148, &peer, &off, &plen);
		assert_int_equal(rc, -FZGW_WG_DROP_BAD_TYPE);
		n++;
	}
	/* Well-formed lengths but garbage: mac1 fails, index unknown. */
	for (size_t k = 0; k < 4; k++) {
		memset(buf, 0x33, sizeof(buf));
		buf[0] = kinds[k].type;
		buf[1] = buf[2] = buf[3] = 0;
		rc = fzgw_wg_receive(b->wg, &a->ep, buf, kinds[k].len, &peer, &off, &plen);
		assert_true(rc < 0);
		n++;
	}
	fzgw_wg_stats(b->wg, &st);
	assert_int_equal(st.x25519_ops, 0);
	assert_int_equal(st.tx_packets, 0);
	/* Exact-length garbage appears twice per type (delta 0 above, and here). */
	assert_int_equal(st.drops[FZGW_WG_DROP_MAC1_INVALID], 4);
	/* ... and data one byte longer is still well-formed data. */
	assert_int_equal(st.drops[FZGW_WG_DROP_UNKNOWN_INDEX], 3);
	assert_int_equal(st.drops[FZGW_WG_DROP_HS_UNEXPECTED], 2);
	dropped = 0;
	for (int i = 1; i < FZGW_WG_DROP_COUNT; i++)
		dropped += st.drops[i];
	assert_int_equal(dropped, n);
	assert_int_equal(w.nlog, 0);
	wgt_world_free(&w);
}

static void test_drop_names(void **state)
{
	for (int i = 0; i < FZGW_WG_DROP_COUNT; i++) {
		assert_non_null(fzgw_wg_drop_name(i));
		assert_string_not_equal(fzgw_wg_drop_name(i), "unknown");
	}
	assert_string_equal(fzgw_wg_drop_name(-FZGW_WG_DROP_REPLAY), "replay");
	assert_string_equal(fzgw_wg_drop_name(FZGW_WG_DROP_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_receive_without_crypto),
		cmocka_unit_test(test_drop_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
