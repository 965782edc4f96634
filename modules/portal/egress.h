/* SPDX-License-Identifier: Apache-2.0 */
/* Gateway -> portal messages: Phoenix frames and the payloads of the events we send. */
#ifndef FZGW_PORTAL_EGRESS_H
#define FZGW_PORTAL_EGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PZ_TOPIC "gateway"

/* Each returns a malloc()ed NUL-terminated string, or NULL when out of memory. */

/* {"topic":T,"event":E,"payload":P,"ref":N}; @payload is JSON text. */
char *pz_frame(const char *topic, const char *event, const char *payload, uint64_t ref);
/* {"iceless":false} */
char *pz_payload_capabilities(bool iceless);
/* {"ref":"<signed ref>"} */
char *pz_payload_ref(const char *ref);
/* {"client_ids":[...],"candidates":[...]}: candidates sorted, duplicates dropped (a set). */
char *pz_payload_candidates(const char *const *client_ids, size_t n_clients,
			    const char *const *candidates, size_t n_candidates);

#endif
