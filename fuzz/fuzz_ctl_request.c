/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket's request parser on hostile bytes: never a crash, and what it accepts
 * has sane fields and survives a format/parse round trip. */
#include <string.h>

#include "ctl_proto.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fzgw_ctl_req r, r2;
	char err[160], line[FZGW_CTL_MAX_REQUEST];
	int n;

	if (fzgw_ctl_parse_request((const char *)data, size, &r, err, sizeof(err)) < 0) {
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
		CHECK(r.cmd == 0);
		return 0;
	}
	CHECK(r.cmd == FZGW_CTL_STATUS || r.cmd == FZGW_CTL_CAPTURE);
	CHECK(memchr(r.client_id, '\0', sizeof(r.client_id)));
	if (r.cmd == FZGW_CTL_CAPTURE) {
		CHECK(r.max_bytes >= 1024 && r.max_bytes <= FZGW_CTL_CAPTURE_BYTES_MAX);
		CHECK(r.max_seconds >= 1 && r.max_seconds <= FZGW_CTL_CAPTURE_SECONDS_MAX);
	}
	n = fzgw_ctl_format_request(&r, line, sizeof(line));
	CHECK(n > 0);
	CHECK(fzgw_ctl_parse_request(line, (size_t)n, &r2, err, sizeof(err)) == 0);
	CHECK(r2.cmd == r.cmd && !strcmp(r2.client_id, r.client_id));
	if (r.cmd == FZGW_CTL_CAPTURE)
		CHECK(r2.max_bytes == r.max_bytes && r2.max_seconds == r.max_seconds);
	return 0;
}
