/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket's protocol (version 1): one request line of JSON from the client, one
 * reply line of JSON from the gateway, then (for a capture) a pcap stream. */
#ifndef FZGW_CTL_PROTO_H
#define FZGW_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define FZGW_CTL_VERSION 1
#define FZGW_CTL_MAX_REQUEST 4096 /* bytes of a request line, newline included */
#define FZGW_CTL_CAPTURE_BYTES_DEFAULT (100ull << 20) /* 100 MiB */
#define FZGW_CTL_CAPTURE_BYTES_MAX (1ull << 40)
#define FZGW_CTL_CAPTURE_SECONDS_DEFAULT 3600u
#define FZGW_CTL_CAPTURE_SECONDS_MAX (7u * 86400u)

enum fzgw_ctl_cmd { FZGW_CTL_STATUS = 1, FZGW_CTL_CAPTURE = 2 };

struct fzgw_ctl_req {
	int cmd;              /* enum fzgw_ctl_cmd */
	char client_id[40];   /* capture: "" = every client */
	uint64_t max_bytes;   /* capture: the whole stream, file header included */
	uint32_t max_seconds; /* capture */
};

/*
 * Parses one request line (@len bytes, the newline excluded or not), e.g.
 *   {"v":1,"cmd":"status"}
 *   {"v":1,"cmd":"capture","client":"ID","max_bytes":N,"max_seconds":S}
 * Unknown keys, other versions and out-of-range values are refused: 0, or -EINVAL with a
 * one-line reason in @err (safe to send back).
 */
int fzgw_ctl_parse_request(const char *buf, size_t len, struct fzgw_ctl_req *out, char *err,
			   size_t errlen);
/* Writes @req as a request line (newline included) into @buf: its length, or -ENOSPC. */
int fzgw_ctl_format_request(const struct fzgw_ctl_req *req, char *buf, size_t len);

#endif
