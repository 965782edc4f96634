/* SPDX-License-Identifier: Apache-2.0 */
/* Who the gateway says it is: its id (external_id), its name and its User-Agent. */
#ifndef FZGW_PORTAL_IDENTITY_H
#define FZGW_PORTAL_IDENTITY_H

#include <stddef.h>

#define PZ_DEFAULT_ID_FILE "/var/lib/firezone/gateway_id"
#define PZ_DEFAULT_MACHINE_ID "/etc/machine-id"
#define PZ_ID_MAX 256
/*
 * The version advertised by default (`advertised_version`): the original gateway release
 * whose protocol this module implements (1.6.0, the latest 1.6.x release). The portal offers
 * a gateway to a client only within a window around the client's version and adapts
 * resources to old gateways, so this is a protocol statement, not our build's version.
 */
#define PZ_ADVERTISED_VERSION "1.6.0"

/* A UUID is sent as the lowercase hex SHA-256 of its text, anything else as it is. */
int pz_external_id(const char *id, char *out, size_t len);

/*
 * The id when FIREZONE_ID is empty, as the original finds it: the JSON file @path
 * ({"id":"..."}); else HMAC-SHA256 of @machine_id_path under the gateway's application key
 * (nothing written); else a new one (SHA-256 hex of a random UUID) written to @path (its
 * directory 0770, the file 0640, never overwriting). @machine_id_path "" skips the second
 * way. 0, or -errno with @err set.
 */
int pz_id_load(const char *path, const char *machine_id_path, char *out, size_t len, char *err,
	       size_t errlen);

/* @configured, else the host name, else a random UUID. */
void pz_name(const char *configured, char *out, size_t len);

/* "<os>/<os version> gateway/<version> (<arch>; <kernel>)", ASCII only. */
void pz_user_agent(const char *version, char *out, size_t len);

#endif
