/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP/1.1 upgrade to WebSocket (RFC 6455 section 4): our request, the portal's answer. */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void pz_ws_key(char key[PZ_WS_KEY_LEN + 1])
{
	uint8_t nonce[16];

	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2base64(key, PZ_WS_KEY_LEN + 1, nonce, sizeof(nonce),
			  sodium_base64_VARIANT_ORIGINAL);
}

void pz_ws_accept(const char *key, char accept[PZ_WS_ACCEPT_LEN + 1])
{
	char in[PZ_WS_KEY_LEN + sizeof(WS_GUID)];
	uint8_t sha[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	snprintf(in, sizeof(in), "%s%s", key, WS_GUID);
	EVP_Digest(in, strlen(in), sha, &n, EVP_sha1(), NULL);
	sodium_bin2base64(accept, PZ_WS_ACCEPT_LEN + 1, sha, 20, sodium_base64_VARIANT_ORIGINAL);
}

int pz_http_request(char *out, size_t len, const char *target, const char *host_header,
		    const char *key, const char *user_agent, const char *token)
{
	int n = snprintf(out, len,
			 "GET %s HTTP/1.1\r\n"
			 "Host: %s\r\n"
			 "Connection: Upgrade\r\n"
			 "Upgrade: websocket\r\n"
			 "Sec-WebSocket-Version: 13\r\n"
			 "Sec-WebSocket-Key: %s\r\n"
			 "User-Agent: %s\r\n"
			 "X-Authorization: Bearer %s\r\n"
			 "\r\n",
			 target, host_header, key, user_agent, token);

	if (n < 0 || (size_t)n >= len) {
		sodium_memzero(out, len);
		return -E2BIG;
	}
	return n;
}

int64_t pz_retry_after(const char *v, int64_t now)
{
	struct tm tm;
	const char *end;
	int64_t secs = 0;
	size_t i;

	for (i = 0; isdigit((unsigned char)v[i]); i++) {
		if (i >= 12)
			return -1;
		secs = secs * 10 + (v[i] - '0');
	}
	if (i && !v[i])
		return secs;
	if (i)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return -1;
	secs = (int64_t)timegm(&tm) - now;
	return secs > 0 ? secs : 0;
}

/* Whether the comma-separated @list holds @token (case-insensitive). */
static bool has_token(const char *list, size_t len, const char *token)
{
	size_t tlen = strlen(token), i = 0;

	while (i < len) {
		size_t s, e;

		while (i < len && (list[i] == ' ' || list[i] == '\t' || list[i] == ','))
			i++;
		s = i;
		while (i < len && list[i] != ',')
			i++;
		e = i;
		while (e > s && (list[e - 1] == ' ' || list[e - 1] == '\t'))
			e--;
		if (e - s == tlen && !strncasecmp(list + s, token, tlen))
			return true;
	}
	return false;
}

static bool name_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && !strncasecmp(name, want, nlen);
}

static int refuse(struct pz_http_resp *out, const char *why)
{
	out->why = why;
	return -EPROTO;
}

/* The end of the head: the index after the blank line, 0 when not there yet. */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

int pz_http_response(const char *buf, size_t len, const char *accept, int64_t now,
		     struct pz_http_resp *out)
{
	size_t end = head_end(buf, len < PZ_HTTP_HEAD_MAX ? len : PZ_HTTP_HEAD_MAX), i, o = 0;
	bool upgrade = false, conn = false, acc = false, ext = false, proto = false;
	unsigned n_acc = 0;
	const char *line, *eol;

	memset(out, 0, sizeof(*out));
	out->retry_after = -1;
	if (!end) {
		if (len >= PZ_HTTP_HEAD_MAX) {
			out->why = "response head over 16 KiB";
			return -E2BIG;
		}
		return 0;
	}
	/* status line: HTTP/1.x SP 3DIGIT [SP reason] */
	if (end < 12 || strncmp(buf, "HTTP/1.", 7) || (buf[7] != '0' && buf[7] != '1') ||
	    buf[8] != ' ' || !isdigit((unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
	    !isdigit((unsigned char)buf[11]) ||
	    (buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n'))
		return refuse(out, "not an HTTP/1.x status line");
	out->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	eol = memchr(buf, '\n', end);
	for (i = 13; buf + i < eol && o + 1 < sizeof(out->reason); i++)
		if ((unsigned char)buf[i] >= ' ' && (unsigned char)buf[i] < 0x7f)
			out->reason[o++] = buf[i];
	out->reason[o] = '\0';
	for (line = eol + 1; line < buf + end; line = eol + 1) {
		const char *colon, *v, *ve;
		size_t nlen;

		eol = memchr(line, '\n', (size_t)(buf + end - line));
		ve = eol > line && eol[-1] == '\r' ? eol - 1 : eol;
		if (ve == line)
			break; /* the blank line */
		if (*line == ' ' || *line == '\t')
			return refuse(out, "folded header line");
		if (!(colon = memchr(line, ':', (size_t)(ve - line))) || colon == line)
			return refuse(out, "header line without a name");
		nlen = (size_t)(colon - line);
		for (size_t k = 0; k < nlen; k++)
			if ((unsigned char)line[k] <= ' ' || (unsigned char)line[k] >= 0x7f)
				return refuse(out, "bad header name");
		for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++)
			;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (name_is(line, nlen, "Upgrade")) {
			upgrade = (size_t)(ve - v) == 9 && !strncasecmp(v, "websocket", 9);
		} else if (name_is(line, nlen, "Connection")) {
			conn = conn || has_token(v, (size_t)(ve - v), "upgrade");
		} else if (name_is(line, nlen, "Sec-WebSocket-Accept")) {
			n_acc++;
			acc = (size_t)(ve - v) == strlen(accept) &&
			      !memcmp(v, accept, strlen(accept));
		} else if (name_is(line, nlen, "Sec-WebSocket-Extensions")) {
			ext = true;
		} else if (name_is(line, nlen, "Sec-WebSocket-Protocol")) {
			proto = true;
		} else if (name_is(line, nlen, "Retry-After")) {
			char val[64];

			snprintf(val, sizeof(val), "%.*s", (int)(ve - v), v);
			out->retry_after = pz_retry_after(val, now);
		}
	}
	if (out->status != 101) {
		o = 0;
		for (i = end; i < len && o + 1 < sizeof(out->body); i++)
			if ((unsigned char)buf[i] >= ' ' && (unsigned char)buf[i] < 0x7f)
				out->body[o++] = buf[i];
		out->body[o] = '\0';
		return (int)end;
	}
	if (!upgrade)
		return refuse(out, "101 without Upgrade: websocket");
	if (!conn)
		return refuse(out, "101 without Connection: upgrade");
	if (!acc || n_acc != 1)
		return refuse(out, "wrong Sec-WebSocket-Accept");
	if (ext)
		return refuse(out, "an extension we did not offer");
	if (proto)
		return refuse(out, "a subprotocol we did not offer");
	out->upgraded = true;
	return (int)end;
}
