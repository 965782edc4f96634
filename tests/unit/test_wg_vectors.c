/* SPDX-License-Identifier: Apache-2.0 */
/* Recorded vectors: a handshake and one ping with wireguard-go, replayed offline byte for byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "splitmix.h"
#include "wg.h"

/*
 * Recorded with tests/integration/wg_interop.sh PROBE FILE: fzgw_wg_probe
 * (--seed 1 --wall 1767225600, the key below) initiated to a fresh
 * wireguard-go 0.0.20220316 (its public key below) and sent one ICMP echo
 * request 10.99.0.2 -> 10.99.0.1; the Linux stack behind wireguard-go
 * answered. The engine, given the same key, clock and random stream, must
 * produce the same initiation and data packet byte for byte, accept
 * wireguard-go's response, and decrypt its data: the transport keys match.
 */
static const char our_private_b64[] = "aMNIbU6mzsixSfE9dXTTLEZWB9JuOlN19H1skvT7U08=";
static const char go_public_b64[] = "wI3fNE62ZOprGxVTGslB8Ll8WlAJVfH/wbol869ksXM=";

static const char rec_initiation[] =
	"01000000a83d7e3561cf895dc19beb44bd9cdd4f8f44600a8208ca231b691fd5"
	"abf4d8faf21b593b2ed14282d77921625674fa00c9eab21a12c53fae27f8abb8"
	"332458ed382fffb0eace787f140dca0615113c6e7624265c4e20615ad09aab5f"
	"813c3f62e8b9b4a9dbd11b67451511f5b7809e85469ccc1bd8c26e7dd6784da6"
	"463f643e00000000000000000000000000000000";

static const char rec_response[] =
	"02000000b334956ba83d7e35fd91055e5fb71c8c51e5f4a693746ec19865b2a9"
	"93a84f2d59312aac7aac3301120a096b5c0e362d32bfb219e832994fab31fd08"
	"60d90181015092737d59ba8400000000000000000000000000000000";

static const char rec_request[] =
	"04000000b334956b00000000000000008910773ec1a9758ec634beac10c044f9"
	"b8a26e1f75fc7541e957482742f5e5125577bc19462b692cedbc5e7b8e455e71"
	"03035528bebf306311afc4edbfab421d20655c9f5ecf78238c622d1bc9f0df57"
	"95d4cdcee9c33a72ca445e727d488f81d5f2fc4a944545a8bb7976d92a693018";

static const char rec_reply[] =
	"04000000a83d7e3500000000000000003633b0ad8d51a9141982131ef44ed215"
	"c8c926a9ce074ac9ce61e9821dc5949a90207252c22c4f38ae0250e8d20205f3"
	"77558ae3104e39c852c5b3ca5f9955afa40f821828013c0ca87abaf56b09c190"
	"bb94684974d5c43ad066c2405faf78ab94274b1f74d1b890e602c22fadcfe831";

/* The probe's echo request: id 0x4657, seq 1, 56 bytes of i + 1. */
static const char echo_request[] =
	"4500005400014000400125e00a6300020a63000108009e784657000101020304"
	"05060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324"
	"25262728292a2b2c2d2e2f303132333435363738";

struct rec {
	uint64_t rng;
	uint64_t now;
	struct fzgw_wg *wg;
	struct fzgw_wg_peer *peer;
	uint8_t sent[4][256];
	size_t sent_len[4];
	int nsent;
};

static uint64_t rec_now(void *user)
{
	return ((struct rec *)user)->now;
}

static void rec_wall(void *user, struct timespec *ts)
{
	ts->tv_sec = 1767225600;
	ts->tv_nsec = 0;
}

/* The probe's splitmix64 stream with seed 1. */
static void rec_random(void *user, void *buf, size_t n)
{
	struct rec *r = user;

	fzgw_splitmix_fill(&r->rng, buf, n);
}

static void rec_send(void *user, struct fzgw_wg_peer *peer,
		     const struct fzgw_wg_endpoint *ep, const uint8_t *buf,
		     size_t len)
{
	struct rec *r = user;

	assert_true(r->nsent < 4 && len <= sizeof(r->sent[0]));
	memcpy(r->sent[r->nsent], buf, len);
	r->sent_len[r->nsent++] = len;
}

static size_t from_hex(uint8_t *out, size_t cap, const char *hex)
{
	size_t len;

	assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &len, NULL), 0);
	return len;
}

static int encrypt_echo(struct rec *r)
{
	uint8_t buf[256];
	const struct fzgw_wg_endpoint *ep;
	size_t len, out_len;
	int ret;

	len = from_hex(buf + FZGW_WG_HEADROOM, sizeof(buf) - FZGW_WG_HEADROOM,
		       echo_request);
	ret = fzgw_wg_encrypt(r->wg, r->peer, buf, len, sizeof(buf), 1420, &out_len, &ep);
	if (ret == 0)
		rec_send(r, r->peer, ep, buf, out_len);
	return ret;
}

static void rec_event(void *user, struct fzgw_wg_peer *peer, enum fzgw_wg_event ev)
{
	/* As the probe: the queued echo request goes out when the session is ready. */
	if (ev == FZGW_WG_EV_SESSION_READY)
		assert_int_equal(encrypt_echo(user), 0);
}

static void test_recorded_wireguard_go(void **state)
{
	struct rec r = { .rng = 1, .now = 5000000000ull };
	struct fzgw_wg_ops ops = {
		.user = &r,
		.now_ns = rec_now,
		.wall = rec_wall,
		.random = rec_random,
		.send = rec_send,
		.event = rec_event,
	};
	struct fzgw_wg_endpoint go_ep = { 0 };
	struct fzgw_wg_peer *peer;
	struct fzgw_wg_stats st;
	uint8_t priv[32], pub[32], buf[256], want[256];
	size_t len, wlen, off, plen;

	assert_int_equal(sodium_base642bin(priv, 32, our_private_b64, strlen(our_private_b64),
					   NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(sodium_base642bin(pub, 32, go_public_b64, strlen(go_public_b64),
					   NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	go_ep.in4.sin_family = AF_INET;
	go_ep.in4.sin_port = htons(51820);
	inet_pton(AF_INET, "192.0.2.1", &go_ep.in4.sin_addr);
	go_ep.len = sizeof(go_ep.in4);

	assert_int_equal(fzgw_wg_new(&r.wg, priv, &ops), 0);
	assert_int_equal(fzgw_wg_peer_add(r.wg, pub, NULL, NULL, &r.peer), 0);
	assert_int_equal(fzgw_wg_peer_set_endpoint(r.peer, &go_ep), 0);

	/* Initiation, including mac1, identical to the recorded one. */
	assert_int_equal(encrypt_echo(&r), -ENOKEY);
	assert_int_equal(r.nsent, 1);
	wlen = from_hex(want, sizeof(want), rec_initiation);
	assert_int_equal(r.sent_len[0], wlen);
	assert_memory_equal(r.sent[0], want, wlen);

	/* wireguard-go's response is accepted; our first data packet matches. */
	r.now += 1000000;
	len = from_hex(buf, sizeof(buf), rec_response);
	assert_int_equal(fzgw_wg_receive(r.wg, &go_ep, buf, len, &peer, &off, &plen),
			 FZGW_WG_RX_DONE);
	assert_int_equal(r.nsent, 2);
	wlen = from_hex(want, sizeof(want), rec_request);
	assert_int_equal(r.sent_len[1], wlen);
	assert_memory_equal(r.sent[1], want, wlen);

	/* wireguard-go's data decrypts: an echo reply to our request. */
	r.now += 1000000;
	len = from_hex(buf, sizeof(buf), rec_reply);
	assert_int_equal(fzgw_wg_receive(r.wg, &go_ep, buf, len, &peer, &off, &plen),
			 FZGW_WG_RX_DATA);
	assert_ptr_equal(peer, r.peer);
	wlen = from_hex(want, sizeof(want), echo_request);
	assert_int_equal(plen, wlen);
	assert_int_equal(buf[off + 9], 1);                         /* ICMP */
	assert_memory_equal(buf + off + 12, want + 16, 4);         /* from 10.99.0.1 */
	assert_memory_equal(buf + off + 16, want + 12, 4);         /* to 10.99.0.2 */
	assert_int_equal(buf[off + 20], 0);                        /* echo reply */
	assert_memory_equal(buf + off + 24, want + 24, plen - 24); /* id, seq, data */

	fzgw_wg_stats(r.wg, &st);
	assert_int_equal(st.handshakes_completed, 1);
	for (int i = 0; i < FZGW_WG_DROP_COUNT; i++)
		assert_int_equal(st.drops[i], 0);
	r.wg = fzgw_wg_free(r.wg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_wireguard_go),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
