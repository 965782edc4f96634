/* SPDX-License-Identifier: Apache-2.0 */
/* The portal's URL: FIREZONE_API_URL parsed, and the WebSocket request target built from it. */
#include "url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool host_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

int pz_url_parse(const char *text, struct pz_url *u)
{
	const char *p, *h, *end;
	size_t hlen;
	unsigned char buf[16];

	memset(u, 0, sizeof(*u));
	if (!strncasecmp(text, "wss://", 6) || !strncasecmp(text, "https://", 8))
		u->tls = true;
	else if (strncasecmp(text, "ws://", 5) && strncasecmp(text, "http://", 7))
		return -EINVAL;
	p = strstr(text, "://") + 3;
	/* authority: up to the first '/', '?' or '#' */
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)))
		return -EINVAL; /* no user info: a token belongs in the header */
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (!close)
			return -EINVAL;
		h = p + 1;
		hlen = (size_t)(close - h);
		p = close + 1;
		if (hlen >= sizeof(u->host))
			return -EINVAL;
		memcpy(u->host, h, hlen);
		u->host[hlen] = '\0';
		if (inet_pton(AF_INET6, u->host, buf) != 1)
			return -EINVAL;
		u->host_is_ip = true;
	} else {
		h = p;
		while (p < end && *p != ':')
			p++;
		hlen = (size_t)(p - h);
		if (!hlen || hlen >= sizeof(u->host))
			return -EINVAL;
		for (size_t i = 0; i < hlen; i++) {
			if (!host_char(h[i]))
				return -EINVAL;
			u->host[i] = (char)tolower((unsigned char)h[i]);
		}
		u->host[hlen] = '\0';
		u->host_is_ip = inet_pton(AF_INET, u->host, buf) == 1;
	}
	u->port = 443; /* the original's default for every scheme */
	if (p < end && *p == ':') {
		unsigned long port = 0;
		const char *d = ++p;

		while (p < end && isdigit((unsigned char)*p) && p - d < 5)
			port = port * 10 + (unsigned long)(*p++ - '0');
		if (p == d || p != end || !port || port > 65535)
			return -EINVAL;
		u->port = (uint16_t)port;
	}
	if (p != end)
		return -EINVAL;
	if (*end == '/') {
		size_t plen = strcspn(end, "?#");

		while (plen && end[plen - 1] == '/')
			plen--;
		if (plen >= sizeof(u->path))
			return -EINVAL;
		for (size_t i = 0; i < plen; i++)
			if ((unsigned char)end[i] <= ' ' || (unsigned char)end[i] >= 0x7f)
				return -EINVAL;
		memcpy(u->path, end, plen);
		u->path[plen] = '\0';
	}
	return 0;
}

int pz_form_encode(char *out, size_t len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (o + 4 > len)
			return -E2BIG;
		if (isalnum(c) || c == '*' || c == '-' || c == '.' || c == '_') {
			out[o++] = (char)c;
		} else if (c == ' ') {
			out[o++] = '+';
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= len)
		return -E2BIG;
	out[o] = '\0';
	return 0;
}

int pz_url_target(char *out, size_t len, const struct pz_url *u, const char *external_id,
		  const char *name, const char *public_key)
{
	char id[1024], nm[1024], pk[128];

	if (pz_form_encode(id, sizeof(id), external_id) < 0 ||
	    pz_form_encode(nm, sizeof(nm), name) < 0 ||
	    pz_form_encode(pk, sizeof(pk), public_key) < 0)
		return -E2BIG;
	if ((size_t)snprintf(out, len, "%s%s?external_id=%s&name=%s&public_key=%s", u->path,
			     PZ_WS_PATH, id, nm, pk) >= len)
		return -E2BIG;
	return 0;
}

void pz_url_host_header(char *out, size_t len, const struct pz_url *u)
{
	bool v6 = strchr(u->host, ':') != NULL;
	bool dflt = u->port == (u->tls ? 443 : 80);

	if (dflt)
		snprintf(out, len, v6 ? "[%s]" : "%s", u->host);
	else
		snprintf(out, len, v6 ? "[%s]:%u" : "%s:%u", u->host, u->port);
}
