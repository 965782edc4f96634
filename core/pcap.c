/* SPDX-License-Identifier: Apache-2.0 */
/* pcap file and record headers; a stream reader that finds record boundaries. */
#include "pcap.h"

#include <errno.h>
#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static uint32_t get32(const uint8_t *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

void fzgw_pcap_file_header(uint8_t out[FZGW_PCAP_FILE_HDR], uint32_t snaplen, uint32_t linktype)
{
	put32(out, FZGW_PCAP_MAGIC);
	put16(out + 4, 2); /* version 2.4 */
	put16(out + 6, 4);
	put32(out + 8, 0);  /* thiszone */
	put32(out + 12, 0); /* sigfigs */
	put32(out + 16, snaplen);
	put32(out + 20, linktype);
}

uint32_t fzgw_pcap_record_header(uint8_t out[FZGW_PCAP_REC_HDR], const struct timespec *ts,
				 uint32_t len, uint32_t snaplen)
{
	uint32_t caplen = len < snaplen ? len : snaplen;

	put32(out, (uint32_t)ts->tv_sec);
	put32(out + 4, (uint32_t)(ts->tv_nsec / 1000));
	put32(out + 8, caplen);
	put32(out + 12, len);
	return caplen;
}

void fzgw_pcap_reader_init(struct fzgw_pcap_reader *r)
{
	memset(r, 0, sizeof(*r));
}

int fzgw_pcap_reader_feed(struct fzgw_pcap_reader *r, const uint8_t *data, size_t len,
			  size_t *complete)
{
	size_t boundary = 0; /* bytes of r->pending + consumed that end on a boundary */

	*complete = 0;
	while (len > 0) {
		size_t want, take;

		if (r->need) {
			take = len < r->need ? len : r->need;
			r->need -= (uint32_t)take;
			r->pending += take;
			data += take;
			len -= take;
			if (!r->need) {
				r->records++;
				boundary = r->pending;
			}
			continue;
		}
		want = r->header_done ? FZGW_PCAP_REC_HDR : FZGW_PCAP_FILE_HDR;
		take = want - r->have < len ? want - r->have : len;
		memcpy(r->hdr + r->have, data, take);
		r->have += take;
		r->pending += take;
		data += take;
		len -= take;
		if (r->have < want)
			break;
		r->have = 0;
		if (!r->header_done) {
			uint32_t magic;

			memcpy(&magic, r->hdr, 4);
			if (magic == FZGW_PCAP_MAGIC)
				r->swapped = false;
			else if (magic == __builtin_bswap32(FZGW_PCAP_MAGIC))
				r->swapped = true;
			else
				return -EPROTO;
			r->snaplen = get32(r->hdr + 16, r->swapped);
			if (!r->snaplen || r->snaplen > 262144)
				return -EPROTO;
			r->header_done = true;
			boundary = r->pending;
			continue;
		}
		r->need = get32(r->hdr + 8, r->swapped);
		if (r->need > r->snaplen || r->need > get32(r->hdr + 12, r->swapped))
			return -EPROTO;
		if (!r->need) {
			r->records++;
			boundary = r->pending;
		}
	}
	*complete = boundary;
	r->pending -= boundary;
	return 0;
}
