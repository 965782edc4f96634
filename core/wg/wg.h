/* SPDX-License-Identifier: Apache-2.0 */
/* Sans-IO WireGuard engine: datagrams and time go in, datagrams and plaintext come out. */
#ifndef FZGW_WG_H
#define FZGW_WG_H

/*
 * The engine owns no socket, TUN device, thread or clock. The caller
 *  - hands every UDP datagram to fzgw_wg_receive(), which decrypts transport
 *    data in place and answers handshakes through ops->send;
 *  - hands every IP packet for a peer to fzgw_wg_encrypt(), which encrypts it
 *    in place and says where to send it;
 *  - calls fzgw_wg_tick() at fzgw_wg_next_deadline() or every 100-250 ms,
 *    which runs the protocol timers (rekey, retransmit, keepalives, key
 *    erasure) and housekeeping.
 * Time comes from ops->now_ns (monotonic) and ops->wall (TAI64N timestamps),
 * so tests drive the engine with a fake clock.
 *
 * One device is used by one thread at a time; there is no global state.
 * Callbacks run synchronously inside the engine call that triggered them.
 * ops->send must not call back into the engine; ops->event may call
 * fzgw_wg_encrypt() (that is how queued packets are flushed) but must not
 * remove peers or free the device.
 *
 * Functions return 0 or a negative errno unless said otherwise.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <netinet/in.h>
#include <sys/socket.h>

struct fzgw_wg;
struct fzgw_wg_peer;

/**
 * A UDP endpoint (IPv4 or IPv6); len is the sockaddr length in use. A non-zero
 * @channel (0x4000..0x4FFF) makes it a path through a TURN relay: the address is the
 * relay's and datagrams travel framed as ChannelData on that channel. The engine only
 * compares and copies it (two endpoints differing by channel are different paths);
 * framing is the caller's job. Zero it for plain UDP.
 */
struct fzgw_wg_endpoint {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	};
	socklen_t len;
	uint16_t channel;
};

/** Message types (the first byte; the next three are reserved and zero). */
enum fzgw_wg_msg_type {
	FZGW_WG_MSG_INITIATION = 1,
	FZGW_WG_MSG_RESPONSE = 2,
	FZGW_WG_MSG_COOKIE = 3,
	FZGW_WG_MSG_DATA = 4,
};

enum {
	FZGW_WG_INITIATION_LEN = 148,
	FZGW_WG_RESPONSE_LEN = 92,
	FZGW_WG_COOKIE_REPLY_LEN = 64,
	FZGW_WG_DATA_HEADER_LEN = 16,
	FZGW_WG_DATA_TAG_LEN = 16,
	FZGW_WG_DATA_MIN_LEN = 32, /* header + tag: a keepalive */
	/* Buffer room fzgw_wg_encrypt() needs around the plaintext: the header
	 * before it, up to 15 bytes of padding and the tag after it. */
	FZGW_WG_HEADROOM = 16,
	FZGW_WG_TAILROOM = 15 + 16,
};

/**
 * Why a datagram was dropped. fzgw_wg_receive() returns the negated value;
 * each reason has a device counter (struct fzgw_wg_stats.drops).
 */
enum fzgw_wg_drop {
	FZGW_WG_DROP_NONE = 0,
	FZGW_WG_DROP_BAD_LENGTH,     /* wrong length for the type */
	FZGW_WG_DROP_BAD_RESERVED,   /* a reserved header byte is not zero */
	FZGW_WG_DROP_BAD_TYPE,       /* unknown message type */
	FZGW_WG_DROP_MAC1_INVALID,   /* handshake mac1 wrong: nothing else was done */
	FZGW_WG_DROP_MAC2_INVALID,   /* under load, mac2 wrong (a cookie reply was sent) */
	FZGW_WG_DROP_RATELIMITED,    /* source over its handshake budget */
	FZGW_WG_DROP_HS_DECRYPT,     /* handshake AEAD failed */
	FZGW_WG_DROP_HS_LOW_ORDER,   /* a handshake public key is a low-order point */
	FZGW_WG_DROP_UNKNOWN_PEER,   /* initiation from a static key we do not know */
	FZGW_WG_DROP_HS_REPLAY,      /* TAI64N not newer than the last accepted one */
	FZGW_WG_DROP_HS_FLOOD,       /* initiation less than 20 ms after the last */
	FZGW_WG_DROP_HS_UNEXPECTED,  /* response or cookie reply for no pending handshake */
	FZGW_WG_DROP_COOKIE_DECRYPT, /* cookie reply did not decrypt */
	FZGW_WG_DROP_UNKNOWN_INDEX,  /* transport data for no session */
	FZGW_WG_DROP_KEY_EXPIRED,    /* session too old or counter exhausted */
	FZGW_WG_DROP_DECRYPT,        /* transport AEAD failed */
	FZGW_WG_DROP_REPLAY,         /* transport counter repeated or too old */
	FZGW_WG_DROP_BAD_INNER,      /* plaintext is not an IP packet of honest length */
	FZGW_WG_DROP_NO_MEMORY,
	FZGW_WG_DROP_COOKIE_BUDGET,  /* under load, no mac2, no cookie reply left for it */
	FZGW_WG_DROP_COUNT
};

/** Return values of fzgw_wg_receive() that are not drops. */
enum {
	FZGW_WG_RX_DONE = 0, /* consumed (handshake, cookie, keepalive) */
	FZGW_WG_RX_DATA = 1, /* an IP packet was decrypted for the caller */
};

/** Why ops->event was called. */
enum fzgw_wg_event {
	/* A session can carry data now (our initiation was answered, or the
	 * peer confirmed our response with data). Flush queued packets with
	 * fzgw_wg_encrypt() from inside the callback; if an initiator sends
	 * nothing, the engine sends a keepalive to confirm the session. */
	FZGW_WG_EV_SESSION_READY = 1,
	/* No handshake completed within REKEY_ATTEMPT_TIME: drop queued packets. */
	FZGW_WG_EV_HANDSHAKE_FAILED,
	/* All keys of the peer were erased (3 x REJECT_AFTER_TIME without a new session). */
	FZGW_WG_EV_KEYS_ZEROED,
	/* The peer's endpoint moved (roaming, after an authenticated packet). */
	FZGW_WG_EV_ENDPOINT_CHANGED,
};

struct fzgw_wg_ops {
	void *user;
	/** Required. Monotonic time in nanoseconds. */
	uint64_t (*now_ns)(void *user);
	/** Wall clock for TAI64N; NULL: clock_gettime(CLOCK_REALTIME). */
	void (*wall)(void *user, struct timespec *ts);
	/** Randomness (keys, indices, nonces, jitter); NULL: randombytes_buf. */
	void (*random)(void *user, void *buf, size_t n);
	/** Required. Send one datagram; @peer is NULL for cookie replies. The
	 *  buffer is borrowed for the call only. */
	void (*send)(void *user, struct fzgw_wg_peer *peer,
		     const struct fzgw_wg_endpoint *ep, const uint8_t *buf,
		     size_t len);
	/** Optional. */
	void (*event)(void *user, struct fzgw_wg_peer *peer,
		      enum fzgw_wg_event ev);
};

/* Valid-mac1 handshake messages a second before the device is "under load" and demands
 * cookies. A response costs about 200 us of one core (four X25519), so 1,024 a second is
 * about a fifth of the core the data path shares: a spoofed flood below the threshold takes
 * no more, one above it gets cookie replies. The kernel measures its handshake queue
 * instead (its handshakes run on other cores than its data); boringtun, in the original
 * gateway, allows 100. gateway.handshake_load_threshold sets it (docs/config.md). */
#define FZGW_WG_LOAD_THRESHOLD_DEFAULT 1024
/* counted per 1/FZGW_WG_LOAD_WINDOWS s: load_threshold / FZGW_WG_LOAD_WINDOWS in each */
#define FZGW_WG_LOAD_WINDOWS 8

/** Resource caps; zero fields keep their defaults. */
struct fzgw_wg_limits {
	uint32_t max_peers;           /* default 65536 */
	uint32_t ratelimiter_entries; /* default 65536 sources */
	/* handshake messages (with a valid mac1) per second above which the
	 * device is "under load" and demands cookies, counted per eighth of a
	 * second (FZGW_WG_LOAD_WINDOWS); default FZGW_WG_LOAD_THRESHOLD_DEFAULT */
	uint32_t load_threshold;
};

struct fzgw_wg_stats {
	uint64_t rx_packets, rx_bytes; /* authenticated datagrams in */
	uint64_t tx_packets, tx_bytes; /* datagrams out (all kinds) */
	uint64_t rx_data_packets;      /* IP packets handed to the caller */
	uint64_t tx_data_packets;      /* IP packets encrypted */
	uint64_t initiations_sent, responses_sent, cookies_sent;
	uint64_t cookies_received, keepalives_sent, keepalives_received;
	uint64_t handshakes_completed;
	uint64_t x25519_ops; /* X25519 computations on the packet path */
	uint64_t under_load_entered;
	/* drops[FZGW_WG_DROP_REPLAY] is rx_replay_dropped, [HS_REPLAY]
	 * hs_replay_dropped, [MAC1_INVALID] mac1_invalid, [RATELIMITED]
	 * ratelimited, [DECRYPT] decrypt_failed. */
	uint64_t drops[FZGW_WG_DROP_COUNT];
};

struct fzgw_wg_peer_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_replay_dropped, hs_replay_dropped, hs_flood_dropped;
	uint64_t decrypt_failed;
	uint64_t handshakes_completed, initiations_sent;
	struct timespec last_handshake; /* wall clock; zero if never */
};

/* Device */
int fzgw_wg_new(struct fzgw_wg **out, const uint8_t private_key[32],
		const struct fzgw_wg_ops *ops) __attribute__((warn_unused_result));
/** Erases every key and frees the device; accepts NULL; returns NULL. */
struct fzgw_wg *fzgw_wg_free(struct fzgw_wg *wg);
int fzgw_wg_public_key(const struct fzgw_wg *wg, uint8_t out[32]);
int fzgw_wg_set_limits(struct fzgw_wg *wg, const struct fzgw_wg_limits *lim);
/** The caller's own load signal (e.g. a deep socket queue): the device is
 *  under load from now until one second after the last call with true. */
void fzgw_wg_set_under_load(struct fzgw_wg *wg, bool under_load);
bool fzgw_wg_under_load(struct fzgw_wg *wg);
void fzgw_wg_stats(const struct fzgw_wg *wg, struct fzgw_wg_stats *out);

/* Peers */
/** -EINVAL for a low-order or our own public key, -EEXIST, -ENOSPC past
 *  max_peers, -ENOMEM. @psk may be NULL; @user is borrowed. */
int fzgw_wg_peer_add(struct fzgw_wg *wg, const uint8_t pub[32],
		     const uint8_t *psk, void *user, struct fzgw_wg_peer **out)
	__attribute__((warn_unused_result));
/** Erases the peer's keys and frees it; pending callbacks never name it again. */
void fzgw_wg_peer_remove(struct fzgw_wg *wg, struct fzgw_wg_peer *peer);
struct fzgw_wg_peer *fzgw_wg_peer_lookup(struct fzgw_wg *wg,
					 const uint8_t pub[32]);
int fzgw_wg_peer_set_psk(struct fzgw_wg_peer *peer, const uint8_t *psk);
int fzgw_wg_peer_set_endpoint(struct fzgw_wg_peer *peer,
			      const struct fzgw_wg_endpoint *ep);
/** Forgets the endpoint: sending needs a new one (configured or learnt). */
void fzgw_wg_peer_clear_endpoint(struct fzgw_wg_peer *peer);
/** NULL until configured or learnt from an authenticated packet. */
const struct fzgw_wg_endpoint *
fzgw_wg_peer_endpoint(const struct fzgw_wg_peer *peer);
/** Persistent keepalive interval in seconds, 0 to turn it off. */
int fzgw_wg_peer_set_keepalive(struct fzgw_wg_peer *peer, uint16_t seconds);
void *fzgw_wg_peer_user(const struct fzgw_wg_peer *peer);
const uint8_t *fzgw_wg_peer_public_key(const struct fzgw_wg_peer *peer);
void fzgw_wg_peer_stats(const struct fzgw_wg_peer *peer,
			struct fzgw_wg_peer_stats *out);
/** True if fzgw_wg_encrypt() would succeed now. */
bool fzgw_wg_peer_has_session(struct fzgw_wg_peer *peer);
/** Starts a handshake now (at most one per REKEY_TIMEOUT). -EDESTADDRREQ
 *  without an endpoint, -EALREADY when rate limited. */
int fzgw_wg_initiate(struct fzgw_wg *wg, struct fzgw_wg_peer *peer);

/* Packets */
/**
 * Classifies a datagram by type byte, reserved bytes and exact length, with no
 * cryptography: returns the enum fzgw_wg_msg_type, or -enum fzgw_wg_drop.
 */
int fzgw_wg_msg_classify(const uint8_t *buf, size_t len);

/**
 * A datagram of @len bytes arrived from @src (both required; @src is the
 * authenticated endpoint candidate and the cookie/rate-limit key). @buf is
 * modified in place.
 * Returns FZGW_WG_RX_DATA with *peer, *off and *plen set (the IP packet is at
 * buf + *off, *plen bytes, padding removed; the caller still has to check the
 * inner source against the peer's allowed IPs), FZGW_WG_RX_DONE, or
 * -enum fzgw_wg_drop.
 */
int fzgw_wg_receive(struct fzgw_wg *wg, const struct fzgw_wg_endpoint *src,
		    uint8_t *buf, size_t len, struct fzgw_wg_peer **peer,
		    size_t *off, size_t *plen);

/**
 * Encrypts an IP packet for @peer in place. The plaintext is at buf + 16,
 * @len bytes; @cap is the number of usable bytes from @buf (at least
 * 16 + len + 31). The plaintext is padded to a multiple of 16 but never past
 * @mtu (0: no MTU). On success *out_len is the datagram length from @buf and
 * *ep where to send it.
 * -ENOKEY: no usable session; a handshake was started (if none is under way
 * and the peer has an endpoint): queue the packet and retry on
 * FZGW_WG_EV_SESSION_READY. -EDESTADDRREQ: the peer has no endpoint.
 * -EMSGSIZE: @cap too small.
 */
int fzgw_wg_encrypt(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
		    uint8_t *buf, size_t len, size_t cap, uint32_t mtu,
		    size_t *out_len, const struct fzgw_wg_endpoint **ep);

/**
 * The AEAD of one data message, split off fzgw_wg_encrypt_deferred(): the
 * session's send key (a copy), the message's counter and the plaintext's
 * padded length. Holds a secret: fzgw_wg_seal() wipes it.
 */
struct fzgw_wg_seal {
	uint8_t key[32];
	uint64_t counter;
	uint32_t len;
};

/**
 * fzgw_wg_encrypt() but for the ChaCha20-Poly1305 seal: the header, padding,
 * counter, statistics and timers are done; the plaintext stays as it is until
 * fzgw_wg_seal(buf, @seal), which may run on another thread (it touches no
 * engine state). Same results; *@seal is filled only on success. A NULL
 * @seal seals at once: fzgw_wg_encrypt().
 */
int fzgw_wg_encrypt_deferred(struct fzgw_wg *wg, struct fzgw_wg_peer *peer,
			     uint8_t *buf, size_t len, size_t cap, uint32_t mtu,
			     size_t *out_len, const struct fzgw_wg_endpoint **ep,
			     struct fzgw_wg_seal *seal);

/** Seals the data message at @buf in place as @seal says, then wipes @seal. */
void fzgw_wg_seal(uint8_t *buf, struct fzgw_wg_seal *seal);

/* Time */
/** Runs every timer that is due and the periodic housekeeping. */
void fzgw_wg_tick(struct fzgw_wg *wg);
/** Monotonic time of the next timer (UINT64_MAX if none); may be early. */
uint64_t fzgw_wg_next_deadline(struct fzgw_wg *wg);

/** Short name of a drop reason, for logs and counters ("replay", ...). */
const char *fzgw_wg_drop_name(int reason);

#endif
