/* SPDX-License-Identifier: Apache-2.0 */
/* TLS towards the portal: the system CA store (or a given file), SNI and the host name checked. */
#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

int pz_tls_ctx_new(SSL_CTX **out, const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	static const unsigned char alpn[] = "\x08http/1.1";

	*out = NULL;
	if (!ctx) {
		snprintf(err, errlen, "cannot create a TLS context");
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* a private portal's CA replaces the system store: only it is trusted then */
	if (ca_file && *ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1
				: SSL_CTX_set_default_verify_paths(ctx) != 1) {
		unsigned long e = ERR_get_error();

		snprintf(err, errlen, "%s: cannot load CA certificates: %s",
			 ca_file && *ca_file ? ca_file : "system store",
			 e ? ERR_reason_error_string(e) : "unknown error");
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return -EINVAL;
	}
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
	*out = ctx;
	return 0;
}

SSL *pz_tls_new(SSL_CTX *ctx, const char *host, bool host_is_ip)
{
	SSL *ssl = SSL_new(ctx);

	if (!ssl)
		return NULL;
	/* RFC 6066: no SNI for an address, whose check is against the IP SANs instead */
	if (host_is_ip
		? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1
		: SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return ssl;
}

void pz_tls_why(SSL *ssl, unsigned long packed, const char *errno_text, char *buf, size_t len)
{
	long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	const char *reason = packed ? ERR_reason_error_string(packed) : NULL;

	if (v != X509_V_OK)
		snprintf(buf, len, "certificate verify failed: %s",
			 X509_verify_cert_error_string(v));
	else if (packed && ERR_SYSTEM_ERROR(packed))
		snprintf(buf, len, "%s", strerror(ERR_GET_REASON(packed)));
	else if (reason)
		snprintf(buf, len, "TLS: %s", reason);
	else
		snprintf(buf, len, "%s", errno_text ? errno_text : "TLS connection failed");
}
