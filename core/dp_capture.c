/* SPDX-License-Identifier: Apache-2.0 */
/* Packet capture: the taps' slow side (only while a capture runs) and the sink list. */
#include "dp_capture.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "dp.h"
#include "pcap.h"

unsigned dp_capture_active;
static struct dp_capture_sink *sinks[DP_CAPTURE_MAX];

int dp_capture_attach(struct dp_capture_sink *s)
{
	for (int i = 0; i < DP_CAPTURE_MAX; i++)
		if (!sinks[i]) {
			sinks[i] = s;
			dp_capture_active++;
			return 0;
		}
	return -ENOSPC;
}

void dp_capture_detach(struct dp_capture_sink *s)
{
	for (int i = 0; i < DP_CAPTURE_MAX; i++)
		if (sinks[i] == s) {
			sinks[i] = NULL;
			dp_capture_active--;
		}
}

static void tap(struct fzgw_dataplane *dp, const struct fzgw_gw_peer *peer, const uint8_t *data,
		size_t len)
{
	uint8_t hdr[FZGW_PCAP_REC_HDR];
	struct timespec ts = { 0, 0 };
	uint32_t caplen = 0;
	uint64_t sent = 0, dropped = 0;

	for (int i = 0; i < DP_CAPTURE_MAX; i++) {
		struct dp_capture_sink *s = sinks[i];

		if (!s || (s->client_id[0] && strcmp(s->client_id, peer->info.client_id)))
			continue;
		if (!ts.tv_sec) {
			clock_gettime(CLOCK_REALTIME, &ts);
			caplen = fzgw_pcap_record_header(hdr, &ts, (uint32_t)len, FZGW_PCAP_SNAPLEN);
		}
		switch (s->emit(s->arg, hdr, sizeof(hdr), data, caplen)) {
		case 1:
			s->packets++;
			s->bytes += sizeof(hdr) + caplen;
			sent++;
			break;
		case 0:
			s->dropped++;
			dropped++;
			break;
		}
	}
	if (sent)
		fzgw_counter_bump(&dp->core->counters, "capture-packets", sent);
	if (dropped)
		fzgw_counter_bump(&dp->core->counters, "capture-dropped", dropped);
}

void dp_capture_in(struct fzgw_dataplane *dp, const struct fzgw_gw_peer *peer,
		   const struct fzgw_packet *pkt)
{
	tap(dp, peer, pkt->data, pkt->len);
}

void dp_capture_out(struct fzgw_dataplane *dp, struct fzgw_gw_peer *peer,
		    const struct fzgw_packet *pkt)
{
	/* without a session the packet is staged and comes back here when it leaves: once */
	if (peer->wg && fzgw_wg_peer_has_session(peer->wg))
		tap(dp, peer, pkt->data, pkt->len);
}
