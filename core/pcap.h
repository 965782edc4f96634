/* SPDX-License-Identifier: Apache-2.0 */
/* pcap (the classic libpcap file format): the file header, record headers, and a reader that
 * splits a byte stream into whole records (the capture client keeps a file complete). */
#ifndef FZGW_PCAP_H
#define FZGW_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define FZGW_PCAP_MAGIC 0xa1b2c3d4u /* microsecond timestamps */
#define FZGW_PCAP_LINKTYPE_RAW 101  /* raw IPv4 or IPv6, no link header */
#define FZGW_PCAP_SNAPLEN 65535u
#define FZGW_PCAP_FILE_HDR 24
#define FZGW_PCAP_REC_HDR 16

/* The 24-byte file header in host byte order (readers tell the order by the magic). */
void fzgw_pcap_file_header(uint8_t out[FZGW_PCAP_FILE_HDR], uint32_t snaplen, uint32_t linktype);
/* A record header for a packet of @len bytes seen at @ts; @caplen = min(len, snaplen).
 * Returns the captured length (what follows the header). */
uint32_t fzgw_pcap_record_header(uint8_t out[FZGW_PCAP_REC_HDR], const struct timespec *ts,
				 uint32_t len, uint32_t snaplen);

/*
 * Splits a pcap byte stream (from the gateway) into whole records. Feed bytes with
 * fzgw_pcap_reader_feed(): it returns how many of them (from the start) form the file header
 * and complete records, so the caller writes exactly those; the rest waits inside the reader
 * for the next feed. A stream that is not pcap (bad magic, a record longer than the snaplen)
 * is an error.
 */
struct fzgw_pcap_reader {
	uint8_t hdr[FZGW_PCAP_FILE_HDR + FZGW_PCAP_REC_HDR];
	size_t have;         /* bytes of the current header gathered in hdr */
	bool header_done;    /* the file header was seen */
	bool swapped;        /* the writer's byte order is not ours */
	uint32_t snaplen;
	uint32_t need;       /* bytes of the current record's payload still to come */
	uint64_t records;    /* complete records so far */
	size_t pending;      /* bytes fed since the last boundary reported */
};

void fzgw_pcap_reader_init(struct fzgw_pcap_reader *r);
/* Consumes @len bytes of @data. On success returns 0 and sets *complete to the number of
 * bytes, counted from the first byte not yet reported complete by an earlier call, that now
 * end on a record boundary (the caller keeps the bytes it was given and not yet written).
 * -EPROTO when the stream is not pcap. */
int fzgw_pcap_reader_feed(struct fzgw_pcap_reader *r, const uint8_t *data, size_t len,
			  size_t *complete);

#endif
