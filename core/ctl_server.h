/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket: a Unix stream socket (mode 0660) that answers `firezone-gateway status`
 * and streams `firezone-gateway capture`, on the loop, never blocking it. */
#ifndef FZGW_CTL_SERVER_H
#define FZGW_CTL_SERVER_H

#include <stddef.h>

struct fzgw_daemon;
struct fzgw_ctl_server;

#define FZGW_CTL_MAX_CONNS 32               /* connections at once; more get an error */
#define FZGW_CTL_REQUEST_TIMEOUT_S 5        /* to send the request line */
#define FZGW_CTL_WRITE_TIMEOUT_S 10         /* for a reply to be read */
#define FZGW_CTL_CAPTURE_BUFFER (4u << 20)  /* bytes queued per capture before drops */

/* Creates the socket at @path (its directory too, mode 0750, when missing; a stale socket
 * left by a dead gateway is replaced; a live one is not) and the grants tracker. 0 or -errno
 * with a line in @err. */
int fzgw_ctl_server_start(struct fzgw_ctl_server **out, struct fzgw_daemon *d, const char *path,
			  char *err, size_t errlen) __attribute__((warn_unused_result));
/* Ends every capture and connection, removes the socket. Accepts NULL; returns NULL. */
struct fzgw_ctl_server *fzgw_ctl_server_stop(struct fzgw_ctl_server *s);

#endif
