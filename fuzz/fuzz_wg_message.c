/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: datagrams of every type into WireGuard engines, one of them with a live session. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "blake2s.h"
#include "splitmix.h"
#include "wg.h"

/*
 * Every input builds the same world from scratch (deterministic keys, clock
 * and randomness, so a crash replays exactly):
 *   S  the responder: peers I (with an established session) and X (none);
 *   I  the initiator: peer S, with one more initiation pending.
 * The input is a list of records, each [flags][len lo][len hi][bytes]:
 *   bit 0   deliver to I instead of S
 *   bit 1   fix the header: type = (byte 0 % 4) + 1, reserved bytes zero
 *   bit 2   write a live receiver index (S's session, I's pending handshake)
 *   bit 3   recompute mac1 for the receiver, so handshakes reach the DH code
 *   bit 4   the receiver is under load (mac2 and cookies)
 *   bit 5   encrypt the bytes as a data packet from I on the session first
 *   bit 6   also feed the datagram once more (replays)
 *   bit 7   advance the clock by byte 0 x 250 ms and run the timers
 * A record with no bytes and without bit 5 is an operation instead, (flags >> 1) & 7:
 *   0 I initiates now          1 replay I's last initiation to S
 *   2 replay I's last data     3 I's last initiation from another address
 *   4 the same with S under load (S answers with a cookie, which I stores)
 *   5 S under load, I initiates (mac2 from the stored cookie, rate limiter)
 *   6 advance 60 s and run the timers   7 S sends a keepalive to I
 * Replies between S and I (handshakes, keepalives, cookies) are delivered.
 */

enum {
	F_TO_I = 1,
	F_HEADER = 2,
	F_INDEX = 4,
	F_MAC1 = 8,
	F_LOAD = 16,
	F_ENCRYPT = 32,
	F_TWICE = 64,
	F_TIME = 128,
	MAX_DGRAM = 1600,
};

struct node {
	struct world *w;
	struct fzgw_wg *wg;
	struct fzgw_wg_endpoint ep;
	uint8_t pub[32];
	uint8_t mac1_key[32];
};

struct world {
	uint64_t now;
	uint64_t rng;
	struct node s, i;
	struct fzgw_wg_peer *s_i, *s_x, *i_s;
	/* Live indices learnt from the wire: S's session index (in I's data
	 * packets) and I's pending handshake index (in its initiation). */
	uint8_t s_index[4];
	uint8_t i_index[4];
	/* Authentic datagrams from I, kept for replays. */
	uint8_t last_init[FZGW_WG_INITIATION_LEN];
	bool have_init;
	uint8_t last_data[MAX_DGRAM + 64];
	size_t last_data_len;
	bool touched;
};

static uint64_t f_now(void *user)
{
	return ((struct node *)user)->w->now;
}

static void f_wall(void *user, struct timespec *ts)
{
	uint64_t t = 1767225600ull * 1000000000ull + ((struct node *)user)->w->now;

	ts->tv_sec = (time_t)(t / 1000000000ull);
	ts->tv_nsec = (long)(t % 1000000000ull);
}

static void f_random(void *user, void *buf, size_t n)
{
	struct world *w = ((struct node *)user)->w;

	fzgw_splitmix_fill(&w->rng, buf, n);
}

/* Datagrams between S and I are delivered at once (bounded depth), so the
 * set-up handshake completes and cookie replies reach I. */
static int depth;

static void f_send(void *user, struct fzgw_wg_peer *peer,
		   const struct fzgw_wg_endpoint *ep, const uint8_t *buf,
		   size_t len)
{
	struct node *from = user;
	struct world *w = from->w;
	struct node *to = from == &w->s ? &w->i : &w->s;
	uint8_t copy[MAX_DGRAM + 64];
	struct fzgw_wg_peer *p;
	size_t off, plen;

	if (from == &w->i && len >= 8 && buf[0] == FZGW_WG_MSG_DATA &&
	    len <= sizeof(w->last_data)) {
		memcpy(w->s_index, buf + 4, 4);
		memcpy(w->last_data, buf, len);
		w->last_data_len = len;
	}
	if (from == &w->i && len == FZGW_WG_INITIATION_LEN) {
		memcpy(w->i_index, buf + 4, 4);
		memcpy(w->last_init, buf, len);
		w->have_init = true;
	}
	/* A cookie reply goes to whoever sent the message it answers. */
	if (!peer && (len != FZGW_WG_COOKIE_REPLY_LEN ||
		      memcmp(&ep->in4, &w->i.ep.in4, sizeof(ep->in4))))
		return;
	if (depth > 4 || len > sizeof(copy))
		return;
	depth++;
	memcpy(copy, buf, len);
	fzgw_wg_receive(to->wg, &from->ep, copy, len, &p, &off, &plen);
	depth--;
}

static void node_init(struct world *w, struct node *n, const char *ip,
		      uint16_t port, uint8_t key_byte)
{
	struct fzgw_wg_ops ops = {
		.user = n,
		.now_ns = f_now,
		.wall = f_wall,
		.random = f_random,
		.send = f_send,
	};
	struct fzgw_wg_blake2s s;
	uint8_t priv[32];

	memset(n, 0, sizeof(*n));
	n->w = w;
	memset(priv, key_byte, sizeof(priv));
	n->ep.in4.sin_family = AF_INET;
	n->ep.in4.sin_port = htons(port);
	inet_pton(AF_INET, ip, &n->ep.in4.sin_addr);
	n->ep.len = sizeof(n->ep.in4);
	if (fzgw_wg_new(&n->wg, priv, &ops) != 0)
		abort();
	fzgw_wg_public_key(n->wg, n->pub);
	fzgw_wg_blake2s_init(&s, 32, NULL, 0);
	fzgw_wg_blake2s_update(&s, "mac1----", 8);
	fzgw_wg_blake2s_update(&s, n->pub, 32);
	fzgw_wg_blake2s_final(&s, n->mac1_key);
}

static void world_init(struct world *w)
{
	uint8_t x_pub[32], x_priv[32];
	uint8_t ip[48] = { 0x45, 0, 0, 48 };
	uint8_t buf[128];
	const struct fzgw_wg_endpoint *ep;
	size_t len;

	memset(w, 0, sizeof(*w));
	w->now = 100ull * 1000000000ull;
	w->rng = 1;
	node_init(w, &w->s, "192.0.2.1", 51820, 0x11);
	node_init(w, &w->i, "192.0.2.2", 40000, 0x22);
	memset(x_priv, 0x33, sizeof(x_priv));
	crypto_scalarmult_curve25519_base(x_pub, x_priv);
	if (fzgw_wg_peer_add(w->s.wg, w->i.pub, NULL, NULL, &w->s_i) ||
	    fzgw_wg_peer_add(w->s.wg, x_pub, NULL, NULL, &w->s_x) ||
	    fzgw_wg_peer_add(w->i.wg, w->s.pub, NULL, NULL, &w->i_s))
		abort();
	fzgw_wg_peer_set_endpoint(w->i_s, &w->s.ep);
	/* Handshake, then a first data packet to confirm it to S. */
	fzgw_wg_initiate(w->i.wg, w->i_s);
	memcpy(buf + FZGW_WG_HEADROOM, ip, sizeof(ip));
	if (fzgw_wg_encrypt(w->i.wg, w->i_s, buf, sizeof(ip), sizeof(buf), 0,
			    &len, &ep) == 0)
		f_send(&w->i, w->i_s, ep, buf, len);
	/* And one more initiation left pending, for responses and cookies. */
	w->now += 6ull * 1000000000ull;
	depth = 100; /* not delivered */
	fzgw_wg_initiate(w->i.wg, w->i_s);
	depth = 0;
}

static void world_free(struct world *w)
{
	w->s.wg = fzgw_wg_free(w->s.wg);
	w->i.wg = fzgw_wg_free(w->i.wg);
}

static void feed(struct world *w, struct node *to, uint8_t *d, size_t len)
{
	struct fzgw_wg_peer *peer;
	size_t off, plen;

	fzgw_wg_receive(to->wg, to == &w->s ? &w->i.ep : &w->s.ep, d, len, &peer,
			&off, &plen);
}

static void run_timers(struct world *w, uint64_t ns)
{
	w->now += ns;
	fzgw_wg_tick(w->s.wg);
	fzgw_wg_tick(w->i.wg);
}

static void replay_to_s(struct world *w, const uint8_t *msg, size_t len,
			const struct fzgw_wg_endpoint *src)
{
	uint8_t d[MAX_DGRAM + 64];
	struct fzgw_wg_peer *peer;
	size_t off, plen;

	memcpy(d, msg, len);
	fzgw_wg_receive(w->s.wg, src, d, len, &peer, &off, &plen);
}

static void operation(struct world *w, unsigned int op)
{
	struct fzgw_wg_endpoint other = w->i.ep;

	other.in4.sin_port = htons(40001);
	w->touched = true;
	switch (op) {
	case 0:
		fzgw_wg_initiate(w->i.wg, w->i_s);
		break;
	case 1:
		if (w->have_init)
			replay_to_s(w, w->last_init, sizeof(w->last_init), &w->i.ep);
		break;
	case 2:
		if (w->last_data_len)
			replay_to_s(w, w->last_data, w->last_data_len, &w->i.ep);
		break;
	case 3:
	case 4:
		if (!w->have_init)
			break;
		if (op == 4)
			fzgw_wg_set_under_load(w->s.wg, true);
		replay_to_s(w, w->last_init, sizeof(w->last_init),
			    op == 3 ? &other : &w->i.ep);
		fzgw_wg_set_under_load(w->s.wg, false);
		break;
	case 5:
		/* Past I's REKEY_TIMEOUT (and a retransmission the jump may
		 * cause) first; load lasts only a second. */
		run_timers(w, 11000000000ull);
		fzgw_wg_set_under_load(w->s.wg, true);
		fzgw_wg_initiate(w->i.wg, w->i_s);
		fzgw_wg_set_under_load(w->s.wg, false);
		break;
	case 6:
		run_timers(w, 60000000000ull);
		break;
	case 7:
		fzgw_wg_peer_set_keepalive(w->s_i, 1);
		fzgw_wg_peer_set_keepalive(w->s_i, 0);
		break;
	}
}

static void one_record(struct world *w, uint8_t flags, const uint8_t *data,
		       size_t len)
{
	struct node *to = flags & F_TO_I ? &w->i : &w->s;
	uint8_t d[MAX_DGRAM + 64];
	uint8_t copy[MAX_DGRAM + 64];

	if (!len && !(flags & F_ENCRYPT)) {
		operation(w, (flags >> 1) & 7);
		return;
	}
	if (flags & F_TIME)
		run_timers(w, (uint64_t)(len ? data[0] : 1) * 250000000ull);
	if (flags & F_ENCRYPT) {
		const struct fzgw_wg_endpoint *ep;
		size_t out_len;

		memcpy(d + FZGW_WG_HEADROOM, data, len);
		if (fzgw_wg_encrypt(w->i.wg, w->i_s, d, len, sizeof(d), 1420,
				    &out_len, &ep) != 0)
			return;
		len = out_len;
		to = &w->s;
	} else {
		memcpy(d, data, len);
	}

	if ((flags & F_HEADER) && len >= 4) {
		d[0] = (uint8_t)(d[0] % 4 + 1);
		d[1] = d[2] = d[3] = 0;
	}
	if ((flags & F_INDEX) && len >= 12) {
		const uint8_t *idx = to == &w->s ? w->s_index : w->i_index;

		/* Response: receiver at 8; data and cookie reply: at 4. */
		memcpy(d + (d[0] == FZGW_WG_MSG_RESPONSE ? 8 : 4), idx, 4);
	}
	if ((flags & F_MAC1) && (d[0] == FZGW_WG_MSG_INITIATION ||
				 d[0] == FZGW_WG_MSG_RESPONSE) &&
	    len >= 32)
		fzgw_wg_blake2s(d + len - 32, 16, d, len - 32, to->mac1_key, 32);
	if (flags & F_LOAD)
		fzgw_wg_set_under_load(to->wg, true);

	memcpy(copy, d, len);
	feed(w, to, d, len);
	if (flags & F_TWICE)
		feed(w, to, copy, len);
	if (flags & F_LOAD)
		fzgw_wg_set_under_load(to->wg, false);
}

/*
 * Building the world costs about fourteen X25519 operations, so it is kept
 * between inputs while they leave it untouched: an input that used time,
 * load, mac1 or encryption, sent or authenticated anything, or drew
 * randomness makes the next input start from a fresh world. Inputs thus
 * always see the same starting state and crashes replay alone.
 */
static struct world world;
static bool world_dirty = true;

struct fingerprint {
	uint64_t rng, now;
	uint64_t rx[2], tx[2], cookies[2], load[2];
};

static void fingerprint(const struct world *w, struct fingerprint *f)
{
	const struct fzgw_wg *wg[2] = { w->s.wg, w->i.wg };

	memset(f, 0, sizeof(*f));
	f->rng = w->rng;
	f->now = w->now;
	for (int i = 0; i < 2; i++) {
		struct fzgw_wg_stats st;

		fzgw_wg_stats(wg[i], &st);
		f->rx[i] = st.rx_packets;
		f->tx[i] = st.tx_packets;
		f->cookies[i] = st.cookies_received + st.cookies_sent;
		f->load[i] = st.under_load_entered;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fingerprint before, after;
	int records = 0;
	uint8_t used = 0;

	if (world_dirty) {
		if (world.s.wg)
			world_free(&world);
		else if (sodium_init() < 0)
			abort();
		world_init(&world);
	}
	fingerprint(&world, &before);
	while (size >= 3 && records++ < 64) {
		uint8_t flags = data[0];
		size_t len = (size_t)(data[1] | data[2] << 8) % (MAX_DGRAM + 1);

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		used |= flags;
		one_record(&world, flags, data, len);
		data += len;
		size -= len;
	}
	fingerprint(&world, &after);
	world_dirty = world.touched ||
		      (used & (F_TIME | F_LOAD | F_MAC1 | F_ENCRYPT)) ||
		      memcmp(&before, &after, sizeof(before)) != 0;
	return 0;
}
