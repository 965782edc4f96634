/* SPDX-License-Identifier: Apache-2.0 */
/* The capture client's pcap stream reader on hostile bytes (what comes over the control
 * socket): never a crash; the bytes it reports complete never exceed what was fed, and
 * feeding the same stream in other splits reports the same boundaries. The first byte of the
 * input chooses the split size. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "pcap.h"

static int run(const uint8_t *data, size_t size, size_t split, size_t *done, uint64_t *records)
{
	struct fzgw_pcap_reader r;
	size_t c;

	fzgw_pcap_reader_init(&r);
	*done = 0;
	for (size_t at = 0; at < size; at += split) {
		size_t n = size - at < split ? size - at : split;
		int rc = fzgw_pcap_reader_feed(&r, data + at, n, &c);

		if (rc < 0) {
			CHECK(rc == -EPROTO);
			*records = r.records;
			return rc;
		}
		*done += c;
		CHECK(*done <= at + n);
		CHECK(r.pending == at + n - *done);
	}
	*records = r.records;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split, d1, d2;
	uint64_t r1, r2;
	int rc1, rc2;

	if (size < 1)
		return 0;
	split = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	rc1 = run(data, size, split, &d1, &r1);
	rc2 = run(data, size, size ? size : 1, &d2, &r2);
	CHECK(rc1 == rc2);
	if (rc1 == 0) {
		CHECK(d1 == d2);
		CHECK(r1 == r2);
	}
	return 0;
}
