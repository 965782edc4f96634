/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file fzgw/module.h
 * @brief The firezone-gateway module ABI: the only header a module includes.
 *
 * A module is a shared object that exports exactly one data symbol,
 * `fzgw_module` (see FZGW_MODULE_DEFINE), a `const struct fzgw_module`. The core
 * reads and checks that descriptor before any module code runs, then calls
 * init() with a table of core services (struct fzgw_api). Modules never call core
 * symbols by name.
 *
 * Ownership, written once here and repeated where it matters:
 * - "borrowed": valid only for the duration of the call; copy what you keep.
 * - "owned by the core": never free it.
 * - "takes ownership": after the call the receiver frees it.
 *
 * Versioning: FZGW_ABI_MAJOR changes break modules; the core refuses another
 * major. FZGW_ABI_MINOR only appends (struct fields at the end, functions at the
 * end of struct fzgw_api, new enum values); the core refuses a module built
 * against a newer minor than its own and accepts older ones. Both structs carry
 * their size so either side can tell which fields exist. See docs/modules.md.
 */
#ifndef FZGW_MODULE_H
#define FZGW_MODULE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fzgw/ip.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FZGW_ABI_MAJOR 2
#define FZGW_ABI_MINOR 1

/** Symbol name the core looks up with dlsym(). */
#define FZGW_MODULE_SYMBOL "fzgw_module"

#define FZGW_MAX_HOOKS 8
#define FZGW_MAX_SUBS 16

struct fzgw_ctx;      /**< the core's handle for one loaded module (opaque) */
struct fzgw_settings; /**< a settings group of the config file (opaque) */
struct fzgw_timer;    /**< opaque */
struct fzgw_fd;       /**< opaque */

/* ------------------------------------------------------------------ packets */

/** Where in the data path a hook runs. */
enum fzgw_phase {
	FZGW_PHASE_IN_PARSE = 0, /**< client -> site, after decryption and parsing */
	FZGW_PHASE_IN_FILTER,    /**< client -> site, policy (default deny) */
	FZGW_PHASE_IN_NAT,       /**< client -> site, translation before the TUN */
	FZGW_PHASE_OUT_PARSE,    /**< site -> client, after reading from the TUN */
	FZGW_PHASE_OUT_NAT,      /**< site -> client, reverse translation */
	FZGW_PHASE_OUT_FILTER,   /**< site -> client, policy (default deny) */
	FZGW_PHASE_COUNT
};

/** What a hook decided. */
enum fzgw_verdict {
	FZGW_CONTINUE = 0, /**< next hook of this phase */
	FZGW_ACCEPT = 1,   /**< leave this phase's chain, go on with the next phase */
	FZGW_DROP = 2,     /**< the core frees the packet and counts pkt->drop_reason */
	FZGW_STOLEN = 3,   /**< the module owns the packet until reinject() or free() */
};

enum fzgw_dir { FZGW_DIR_IN = 0, FZGW_DIR_OUT = 1 };

/** A client's tunnel as the core knows it. Owned by the core, read-only for modules. */
struct fzgw_peer_info {
	uint32_t index;        /**< dense, reused after removal; always < api->peer_index_max() */
	char client_id[40];    /**< the control plane's id (UUID or a config name) */
	struct fzgw_addr ipv4; /**< family 0 when absent */
	struct fzgw_addr ipv6;
};

/**
 * One packet. Owned by whoever holds it: the core while a hook runs (the hook
 * borrows it), the module after FZGW_STOLEN (it must reinject() or free() it).
 */
struct fzgw_packet {
	uint8_t *data;       /**< start of the IP packet */
	uint32_t len;        /**< bytes of IP packet */
	uint32_t cap;        /**< bytes writable from data */
	uint8_t dir;         /**< enum fzgw_dir */
	uint8_t phase;       /**< phase the packet is in (set by the core) */
	uint16_t hook;       /**< index of the current hook in that phase (set by the core) */
	const char *drop_reason; /**< set with FZGW_DROP: a static string, e.g. "port-denied" */
	const struct fzgw_peer_info *peer; /**< the client: sender (IN) or receiver (OUT) */
	struct fzgw_ip ip;   /**< parsed view; re-parse after changing lengths */
	void *core_priv;     /**< the core's; do not touch */
};

/** A packet hook. @p state is what init() returned; @p pkt is borrowed. */
typedef enum fzgw_verdict (*fzgw_hook_fn)(void *state, struct fzgw_packet *pkt);

struct fzgw_hook {
	uint8_t phase;    /**< enum fzgw_phase */
	int16_t priority; /**< lower runs first; ties keep config order */
	fzgw_hook_fn fn;
	const char *name; /**< for logs, the printed chain and per-hook config overrides */
	/**
	 * NULL, or "module" / "module/hook": this hook runs after every hook so named in
	 * the same phase, whatever the priorities (its own or a config override) say. A
	 * named module or hook that is not loaded places nothing. Cycles are a load error.
	 * Example: a deny list that must see real destinations: { IN_NAT, .after = "nat" }.
	 */
	const char *after;
};

/* ---------------------------------------------------------------- event bus */

enum fzgw_event_type {
	FZGW_EV_NONE = 0,
	FZGW_EV_IFACE_CONFIG,     /**< struct fzgw_ev_iface: the gateway's tunnel addresses */
	FZGW_EV_PEER_AUTHORIZED,  /**< struct fzgw_ev_authorization: install/update a client and one grant */
	FZGW_EV_ACCESS_REVOKED,   /**< struct fzgw_ev_revoke: remove one grant (or all of a client's) */
	FZGW_EV_RESOURCE_UPDATED, /**< struct fzgw_ev_resource: a resource's definition changed */
	FZGW_EV_PEER_REMOVED,     /**< struct fzgw_ev_peer: the core removed a client's tunnel */
	FZGW_EV_RELAYS_CHANGED,   /**< struct fzgw_ev_relays: TURN relays to use (portal -> relay) */
	FZGW_EV_ICE_CANDIDATES,   /**< struct fzgw_ev_ice: a client's candidates (portal -> relay) */
	FZGW_EV_SYNC,             /**< struct fzgw_ev_sync: a source lists the clients it keeps; others go */
	FZGW_EV_LOCAL_CANDIDATES, /**< struct fzgw_ev_ice: our candidates for a client (relay -> portal) */
	FZGW_EV_NO_RELAYS,        /**< no payload: the relay module has no usable relay (relay -> portal) */
	FZGW_EV_PROXY_IPS,        /**< struct fzgw_ev_proxy_ips: a DNS resource's proxy IPs for a client (nat -> filter) */
	FZGW_EV_STATE_DUMP,       /**< no payload (core, on SIGUSR1): log your live state, one line per item */
	FZGW_EV_TYPE_COUNT
};

enum fzgw_resource_type { FZGW_RES_CIDR = 1, FZGW_RES_DNS = 2, FZGW_RES_INTERNET = 3 };
enum fzgw_filter_proto { FZGW_FILTER_TCP = 1, FZGW_FILTER_UDP = 2, FZGW_FILTER_ICMP = 3 };

struct fzgw_port_range { uint16_t first, last; };

/** One protocol's allowed ports. The list is borrowed: valid for the event only. */
struct fzgw_filter {
	uint8_t proto;      /**< enum fzgw_filter_proto */
	uint32_t n_ranges;  /**< 0 = every port */
	const struct fzgw_port_range *ranges; /**< borrowed; n_ranges entries, first <= last */
};

/**
 * A resource as the control plane describes it. Every pointer is borrowed for the
 * event's duration: a module that keeps the resource copies the lists and strings.
 * No count is capped by the ABI; modules bound what they keep by memory.
 */
struct fzgw_resource {
	char id[40];
	uint8_t type;             /**< enum fzgw_resource_type */
	struct fzgw_addr addr;    /**< CIDR network */
	uint8_t prefix_len;
	const char *pattern;      /**< DNS resources: the name pattern, UTF-8 (lowercase
				       ASCII or Unicode letters); NULL for other types */
	uint32_t n_filters;       /**< 0 = everything allowed */
	const struct fzgw_filter *filters; /**< borrowed; n_filters entries */
};

struct fzgw_ev_iface { struct fzgw_addr ipv4, ipv6; };

struct fzgw_ev_authorization {
	char client_id[40];
	uint8_t public_key[32];
	uint8_t preshared_key[32];
	bool has_psk;
	struct fzgw_addr ipv4, ipv6;    /**< the client's tunnel addresses */
	struct fzgw_resource resource;  /**< the granted resource (its lists borrowed) */
	int64_t expires_at;             /**< unix seconds, 0 = never */
	/* ICE (RFC 8445): username = ufrag, password = pwd; empty when the source has none
	 * (static peers). The passwords are secrets: never log them. */
	char gateway_ice_ufrag[257], gateway_ice_pwd[257]; /**< ours (local) */
	char client_ice_ufrag[257], client_ice_pwd[257];   /**< the client's (remote) */
	bool use_iceless;               /**< the portal asks for a connection without ICE */
};

struct fzgw_ev_revoke {
	char client_id[40];
	char resource_id[40]; /**< empty = every grant of the client */
};

struct fzgw_ev_resource { struct fzgw_resource resource; };
struct fzgw_ev_peer { char client_id[40]; };

struct fzgw_ev_sync {
	const char *const *client_ids; /**< borrowed */
	size_t n;
};

struct fzgw_relay {
	char id[40];
	char addr[64];        /**< "ip:port" or "[ip6]:port" */
	char username[256];
	char password[256];   /**< a secret: never log it */
	int64_t expires_at;   /**< unix seconds */
};

struct fzgw_ev_relays {
	const struct fzgw_relay *relays; /**< borrowed; n entries */
	size_t n;
	const char *const *gone_ids;    /**< borrowed: relays to drop */
	size_t n_gone;
	bool replace;                   /**< true: @p relays is the whole set (init) */
};

struct fzgw_ev_ice {
	char client_id[40];
	const char *const *candidates; /**< borrowed SDP candidate strings */
	size_t n;
	bool invalidate;               /**< true: these candidates are withdrawn */
};

#define FZGW_MAX_PROXY_IPS 8

struct fzgw_ev_proxy_ips {
	char client_id[40];
	char resource_id[40];
	char domain[256];
	uint8_t n;                      /**< 0: the mapping was removed */
	struct fzgw_addr ips[FZGW_MAX_PROXY_IPS];
};

/** A bus event. @p data points to the struct named by the type; borrowed. */
struct fzgw_event {
	uint32_t type; /**< enum fzgw_event_type */
	const void *data;
	size_t size;   /**< sizeof the payload struct */
	const char *source; /**< publishing module's name (set by the core) */
};

typedef void (*fzgw_event_fn)(void *state, const struct fzgw_event *ev);

struct fzgw_sub {
	uint32_t type; /**< enum fzgw_event_type */
	fzgw_event_fn fn;
};

/* ------------------------------------------------------- UDP and client paths */

/** A UDP address: addr.family 4 or 6, port in host order. */
struct fzgw_endpoint {
	struct fzgw_addr addr;
	uint16_t port;
};

/** Datagram classes on the gateway's UDP sockets besides WireGuard (RFC 7983). */
enum fzgw_udp_class {
	FZGW_UDP_STUN = 1,        /**< first byte 0..3, magic cookie 0x2112A442, 20 + length == size */
	FZGW_UDP_CHANNELDATA = 2, /**< first byte 0x40..0x4F, 4 + length <= size */
};

/**
 * A datagram of a claimed class. @p data, @p from and @p local are borrowed for the call;
 * @p local is the receiving socket's endpoint (the wildcard address and the bound port).
 */
typedef void (*fzgw_udp_fn)(void *state, const struct fzgw_endpoint *from,
			    const struct fzgw_endpoint *local, const uint8_t *data, size_t len);

/** How the core sends a client's WireGuard datagrams. */
enum fzgw_path_kind {
	FZGW_PATH_ANY = 0,     /**< WireGuard's learned endpoint (roaming; standalone peers) */
	FZGW_PATH_DIRECT = 1,  /**< raw UDP to @p remote, the client's address */
	FZGW_PATH_RELAY = 2,   /**< ChannelData on @p channel to @p remote, the relay server */
	FZGW_PATH_PENDING = 3, /**< ICE is running: up to 128 datagrams wait for a path */
};

struct fzgw_path {
	uint8_t kind;                /**< enum fzgw_path_kind */
	uint16_t channel;            /**< FZGW_PATH_RELAY: 0x4000..0x4FFF */
	struct fzgw_endpoint remote; /**< DIRECT: the client; RELAY: the relay server */
};

/* ----------------------------------------------------------------- settings */

enum fzgw_key_type {
	FZGW_KEY_END = 0,
	FZGW_KEY_INT,    /**< int64_t at offset */
	FZGW_KEY_BOOL,   /**< bool at offset */
	FZGW_KEY_STRING, /**< char[size] at offset (copied, NUL-terminated; too long is an error) */
	FZGW_KEY_FLOAT,  /**< double at offset (ints accepted) */
	FZGW_KEY_GROUP,  /**< only validated as a group; read with settings_child() */
	FZGW_KEY_LIST,   /**< a list or array; read with settings_child()/settings_elem() */
};

/** One row of a key table, ended by a row with type FZGW_KEY_END. */
struct fzgw_key {
	const char *name;
	uint8_t type;     /**< enum fzgw_key_type */
	bool required;
	size_t offset;    /**< into the output struct (INT, BOOL, STRING, FLOAT) */
	size_t size;      /**< STRING: buffer size */
	int64_t min, max; /**< INT: inclusive bounds when min < max */
};

enum fzgw_log_level { FZGW_LOG_ERROR = 0, FZGW_LOG_WARN, FZGW_LOG_INFO, FZGW_LOG_DEBUG, FZGW_LOG_TRACE };

enum fzgw_fd_events { FZGW_FD_READ = 1, FZGW_FD_WRITE = 2 };

typedef void (*fzgw_timer_fn)(void *arg);
typedef void (*fzgw_fd_fn)(int fd, short what, void *arg);
typedef void *(*fzgw_service_fn)(void);

enum fzgw_icmp_kind {
	FZGW_ICMP_PROHIBITED = 1,  /**< v4 3/13, v6 1/1 */
	FZGW_ICMP_NET_UNREACH = 2, /**< v4 3/0, v6 1/3 (address unreachable) */
	FZGW_ICMP_TOO_BIG = 3,     /**< v4 3/4 fragmentation needed, v6 2/0 packet too big */
};

/**
 * The core's services. Every function takes the module's own ctx (from init).
 * Pointers passed in are borrowed unless the comment says otherwise.
 */
struct fzgw_api {
	uint32_t abi_major, abi_minor;
	size_t struct_size; /**< check before using a field added in a later minor */

	/* logging: never pass secrets. */
	void (*log)(struct fzgw_ctx *ctx, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	bool (*log_enabled)(struct fzgw_ctx *ctx, int level);

	/* the running mode: true under --check-config; then touch no network or TUN. */
	bool (*check_only)(struct fzgw_ctx *ctx);

	/* settings: a module reads only its own group (given to init). */
	int (*settings_parse)(struct fzgw_ctx *ctx, const struct fzgw_settings *s,
			      const struct fzgw_key *table, void *out);
	const struct fzgw_settings *(*settings_child)(const struct fzgw_settings *s, const char *name);
	int (*settings_count)(const struct fzgw_settings *s);
	const struct fzgw_settings *(*settings_elem)(const struct fzgw_settings *s, int i);
	const char *(*settings_string)(const struct fzgw_settings *s); /**< NULL if not a string */
	/** Logs "FILE:LINE: msg (key "name")" for @p s at error level; returns -EINVAL. */
	int (*settings_error)(struct fzgw_ctx *ctx, const struct fzgw_settings *s, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* loop: timers and fds are removed by the core before the module's fini. */
	struct fzgw_timer *(*timer_add)(struct fzgw_ctx *ctx, uint32_t ms, bool repeat,
					fzgw_timer_fn fn, void *arg);
	void (*timer_del)(struct fzgw_ctx *ctx, struct fzgw_timer *t);
	struct fzgw_fd *(*fd_add)(struct fzgw_ctx *ctx, int fd, short events, fzgw_fd_fn fn, void *arg);
	void (*fd_del)(struct fzgw_ctx *ctx, struct fzgw_fd *f);
	/** Monotonic milliseconds and wall-clock seconds (fakeable in tests). */
	uint64_t (*now_ms)(struct fzgw_ctx *ctx);
	int64_t (*wall_s)(struct fzgw_ctx *ctx);

	/* bus: synchronous; @p data borrowed for the call. */
	int (*publish)(struct fzgw_ctx *ctx, uint32_t type, const void *data, size_t size);

	/* packets */
	/** Continue a STOLEN packet with the hook after the one that stole it. Takes ownership. */
	void (*pkt_reinject)(struct fzgw_ctx *ctx, struct fzgw_packet *pkt);
	/** Free a STOLEN packet, counting @p reason as a drop. Takes ownership. */
	void (*pkt_free)(struct fzgw_ctx *ctx, struct fzgw_packet *pkt, const char *reason);
	/** Build an ICMP error about @p pkt (borrowed) and send it to pkt's client. 0 or -errno. */
	int (*icmp_reply)(struct fzgw_ctx *ctx, const struct fzgw_packet *pkt, int kind, uint32_t mtu);
	/** Re-parse after a module changed lengths. 0 or -EINVAL. */
	int (*pkt_reparse)(struct fzgw_ctx *ctx, struct fzgw_packet *pkt);

	/* rewriting, with incremental checksums (RFC 1624) */
	int (*pkt_set_src)(struct fzgw_packet *pkt, const struct fzgw_addr *a);
	int (*pkt_set_dst)(struct fzgw_packet *pkt, const struct fzgw_addr *a);
	int (*pkt_set_src_port)(struct fzgw_packet *pkt, uint16_t port);
	int (*pkt_set_dst_port)(struct fzgw_packet *pkt, uint16_t port);
	int (*pkt_set_icmp_id)(struct fzgw_packet *pkt, uint16_t id);

	/* services: a name -> function table registry; the pointer is owned by the registrant. */
	int (*service_register)(struct fzgw_ctx *ctx, const char *name, const void *table);
	const void *(*service_lookup)(struct fzgw_ctx *ctx, const char *name);

	/* counters, per module, logged on SIGUSR1 */
	int (*counter_register)(struct fzgw_ctx *ctx, const char *name); /**< id >= 0 or -errno */
	/** Adds @p n to counter @p id; an id the module did not register is ignored. */
	void (*counter_add)(struct fzgw_ctx *ctx, int id, uint64_t n);

	/* peers */
	const struct fzgw_peer_info *(*peer_by_client)(struct fzgw_ctx *ctx, const char *client_id);

	/** A fresh packet buffer (data at the headroom, len 0, cap set); NULL when none is
	 * free. The module owns it until it passes it to pkt_inject() or pkt_free(). */
	struct fzgw_packet *(*pkt_alloc)(struct fzgw_ctx *ctx);
	/** Runs a module-made packet (parsed, dir and peer set) from @p phase on;
	 * FZGW_PHASE_COUNT sends it straight to the TUN (IN) or to pkt->peer (OUT). Takes ownership. */
	void (*pkt_inject)(struct fzgw_ctx *ctx, struct fzgw_packet *pkt, int phase);
	/** The gateway's WireGuard public key; 0 or -ENODEV before the data plane exists. */
	int (*public_key)(struct fzgw_ctx *ctx, uint8_t out[32]);
	/** Ends the process with @p exit_code after the current callback (fatal errors). */
	void (*shutdown)(struct fzgw_ctx *ctx, int exit_code, const char *why);
	/** The loop's libevent `struct event_base *`, for modules built on libevent
	 * (bufferevents, evdns). Events made on it are the module's: free them all before
	 * fini() returns (the core cannot remove what it did not create). NULL under check_only. */
	void *(*event_base)(struct fzgw_ctx *ctx);

	/* ---- ABI 2.0 */
	/**
	 * Removes a client as the original does on a Goodbye: its tunnel and every grant.
	 * Deferred to after the current callback (a hook may hold the peer): then the core
	 * publishes FZGW_EV_ACCESS_REVOKED (every grant) and FZGW_EV_PEER_REMOVED, and frees
	 * the peer. @p why is logged. 0, or -ENOENT for an unknown client.
	 */
	int (*peer_remove)(struct fzgw_ctx *ctx, const char *client_id, const char *why);
	/** Reads an integer setting (a list element from settings_elem(), typically).
	 * 0, or -EINVAL when @p s is not an integer (nothing written). */
	int (*settings_int)(const struct fzgw_settings *s, int64_t *out);
	/** As log(), limited per call site (@p fmt's address): a burst of 5 lines, then at
	 * most 1 per second; the next line printed says how many were suppressed. For
	 * messages a remote peer can trigger. */
	void (*log_limited)(struct fzgw_ctx *ctx, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/** The bound of fzgw_peer_info.index: every index is below it. Fixed for the
	 * process's life and known from init() on (also under check_only), so per-peer
	 * tables can be sized then (65536 today; allocate lazily if that is too much). */
	uint32_t (*peer_index_max)(struct fzgw_ctx *ctx);

	/* UDP and paths, for a relay/ICE module */
	/** Claims a datagram class (enum fzgw_udp_class) on the gateway's UDP sockets: @p fn
	 * gets them with the module's state. One module per class; the claim ends with the
	 * module. 0, -EBUSY (claimed by another), -EINVAL. */
	int (*udp_claim)(struct fzgw_ctx *ctx, int udp_class, fzgw_udp_fn fn);
	/** Sends @p data from the gateway's UDP socket of @p to's family (the WireGuard port,
	 * so host and server-reflexive candidates share it), at once (never queued). 0, -EINVAL
	 * (no port or family, empty, over 65507 bytes), -EAFNOSUPPORT (no socket of that
	 * family), -ENODEV (no data plane), or the socket's -errno (-EAGAIN: buffer full). */
	int (*udp_send)(struct fzgw_ctx *ctx, const struct fzgw_endpoint *to, const uint8_t *data,
			size_t len);
	/** The local endpoint of the UDP socket of @p family (4 or 6): the bound address
	 * (maybe the wildcard) and port. 0, -ENOENT (no such socket), -ENODEV (no data plane). */
	int (*udp_local)(struct fzgw_ctx *ctx, int family, struct fzgw_endpoint *out);
	/** Sets how a client's WireGuard datagrams are sent (see enum fzgw_path_kind). Going
	 * from PENDING to DIRECT/RELAY sends what waited (in order, the oldest dropped past
	 * 128); to ANY sends it the old way. DIRECT/RELAY also become WireGuard's endpoint for
	 * the client (kept after a later ANY until it roams). Whatever the path, authenticated
	 * datagrams are accepted from anywhere. 0, -ENOENT (unknown client), -EINVAL. */
	int (*peer_set_path)(struct fzgw_ctx *ctx, const char *client_id, const struct fzgw_path *path);
	/** A WireGuard datagram a module unwrapped (ChannelData from a relay), received over
	 * @p via (FZGW_PATH_RELAY: the relay and channel). Borrowed (copied); counted like any
	 * other. WireGuard's answers go back over @p via for a client in FZGW_PATH_ANY. */
	void (*udp_input)(struct fzgw_ctx *ctx, const struct fzgw_path *via, const uint8_t *data,
			  size_t len);

	/* ---- ABI 2.1: gauges and readiness. These took the first three spare slots: on a 2.0
	 * core they are NULL, so check api->abi_minor >= 1 (or the pointer) before calling. */
	/** Registers a gauge (a value that goes up and down: entries, allocations, 0/1 states),
	 * exported on /metrics as firezone_gateway_module_gauge{module, gauge}. @p name: 1..47
	 * characters of [a-z0-9_]. Registering a name again returns its id. id >= 0, -EINVAL,
	 * -ENOSPC (32 per module). */
	int (*gauge_register)(struct fzgw_ctx *ctx, const char *name);
	/** Sets gauge @p id to @p value; an id the module did not register is ignored. Cheap:
	 * call it whenever the value changes (nothing is sent anywhere until a scrape). */
	void (*gauge_set)(struct fzgw_ctx *ctx, int id, int64_t value);
	/** Says whether this module lets the gateway be ready. The first call makes the module
	 * gate readiness for the rest of its life: the gateway reports ready (systemd READY=1
	 * the first time, /readyz 200) only while the data plane is up and every gating module
	 * said true. The portal says false until the first init is applied and again while it
	 * is disconnected. @p status (borrowed, copied, up to 127 bytes, no secrets) is a short
	 * human text for systemd's STATUS= line, /readyz's answer and the log, e.g. "joined" or
	 * "reconnecting in 2 s". Nothing happens under check_only. */
	void (*ready_set)(struct fzgw_ctx *ctx, bool ready, const char *status);

	void *spare[5]; /**< NULL; later minors fill these in order */
};

/* ------------------------------------------------------------ the descriptor */

/**
 * init: called once per load. @p settings is borrowed (read it now). Store your
 * state in *state. Return 0, or a negative errno and leave nothing behind (the
 * core removes whatever you registered). Under check_only(), validate only.
 * reload: optional; new settings on SIGHUP. Return 0 to accept them, negative to
 * refuse (then the old settings stay: do not change anything before deciding).
 * fini: release your state. The core has already removed your hooks, timers,
 * fds, subscriptions and services.
 */
struct fzgw_module {
	uint32_t abi_major;   /**< FZGW_ABI_MAJOR at build time */
	uint32_t abi_minor;   /**< FZGW_ABI_MINOR at build time */
	size_t struct_size;   /**< sizeof(struct fzgw_module) at build time */
	const char *name;     /**< must equal the config entry's name */
	const char *version;  /**< free-form, logged */
	int (*init)(struct fzgw_ctx *ctx, const struct fzgw_api *api,
		    const struct fzgw_settings *settings, void **state);
	int (*reload)(void *state, const struct fzgw_settings *settings);
	void (*fini)(void *state);
	struct fzgw_hook hooks[FZGW_MAX_HOOKS]; /**< ended by fn == NULL */
	struct fzgw_sub subs[FZGW_MAX_SUBS];    /**< ended by fn == NULL */
	void *spare[8];       /**< NULL */
};

#define FZGW_MODULE_EXPORT __attribute__((visibility("default")))

/** Declare the module descriptor: FZGW_MODULE_DEFINE = { .name = "x", ... }; */
#define FZGW_MODULE_DEFINE                                                                         \
	FZGW_MODULE_EXPORT const struct fzgw_module fzgw_module
#define FZGW_MODULE_HEADER                                                                         \
	.abi_major = FZGW_ABI_MAJOR, .abi_minor = FZGW_ABI_MINOR,                                  \
	.struct_size = sizeof(struct fzgw_module)

#ifdef __cplusplus
}
#endif
#endif
