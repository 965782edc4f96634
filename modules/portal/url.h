/* SPDX-License-Identifier: Apache-2.0 */
/* The portal's URL: FIREZONE_API_URL parsed, and the WebSocket request target built from it. */
#ifndef FZGW_PORTAL_URL_H
#define FZGW_PORTAL_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PZ_DEFAULT_API_URL "wss://api.firezone.dev"
#define PZ_WS_PATH "/gateway/v2/websocket"

struct pz_url {
	bool tls;          /* wss (or https) */
	bool host_is_ip;
	char host[256];    /* without brackets */
	uint16_t port;
	char path[512];    /* the base path, without a trailing '/' ("" for none) */
};

/*
 * http, ws, https or wss (http maps to ws, https to wss), a host (name, IPv4, or [IPv6]),
 * an optional port (default 443, as the original), an optional base path. User info is
 * refused; a query or fragment is dropped. 0 or -EINVAL.
 */
int pz_url_parse(const char *text, struct pz_url *out);
/* "PATH/gateway/v2/websocket?external_id=..&name=..&public_key=.." (form-encoded values).
 * 0 or -E2BIG. */
int pz_url_target(char *out, size_t len, const struct pz_url *u, const char *external_id,
		  const char *name, const char *public_key);
/* The Host header's value: host, bracketed when IPv6, with the port unless 443 or 80 for ws. */
void pz_url_host_header(char *out, size_t len, const struct pz_url *u);
/* application/x-www-form-urlencoded: 0 or -E2BIG. */
int pz_form_encode(char *out, size_t len, const char *s);

#endif
