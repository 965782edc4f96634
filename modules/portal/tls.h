/* SPDX-License-Identifier: Apache-2.0 */
/* TLS towards the portal: the system CA store (or a given file), SNI and the host name checked. */
#ifndef FZGW_PORTAL_TLS_H
#define FZGW_PORTAL_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

/* TLS 1.2 or later, peers verified against @ca_file ("" = the system store). 0 or -errno
 * with @err set. */
int pz_tls_ctx_new(SSL_CTX **out, const char *ca_file, char *err, size_t errlen);
/* One connection's SSL: SNI (not for an address) and the name (or address) checked. */
SSL *pz_tls_new(SSL_CTX *ctx, const char *host, bool host_is_ip);
/* Why the handshake or the connection failed, for the log: the verify result, else the
 * OpenSSL error @packed (from bufferevent_get_openssl_error(), 0 for none), else
 * @errno_text (may be NULL). */
void pz_tls_why(SSL *ssl, unsigned long packed, const char *errno_text, char *buf, size_t len);

#endif
