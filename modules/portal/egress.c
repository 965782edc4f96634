/* SPDX-License-Identifier: Apache-2.0 */
/* Gateway -> portal messages: Phoenix frames and the payloads of the events we send. */
#include "egress.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *pz_frame(const char *topic, const char *event, const char *payload, uint64_t ref)
{
	/* topic and event are our own constants: no escaping needed */
	static const char fmt[] = "{\"topic\":\"%s\",\"event\":\"%s\",\"payload\":%s,\"ref\":%llu}";
	size_t len = sizeof(fmt) + strlen(topic) + strlen(event) + strlen(payload) + 24;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, fmt, topic, event, payload, (unsigned long long)ref);
	return s;
}

static char *dump(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(v);
	return s;
}

char *pz_payload_capabilities(bool iceless)
{
	return dump(json_pack("{s:b}", "iceless", iceless));
}

char *pz_payload_ref(const char *ref)
{
	return dump(json_pack("{s:s}", "ref", ref));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *pz_payload_candidates(const char *const *client_ids, size_t n_clients,
			    const char *const *candidates, size_t n_candidates)
{
	const char **sorted = NULL;
	json_t *o = json_object(), *ids = json_array(), *cands = json_array();
	char *out = NULL;

	if (!o || !ids || !cands)
		goto out;
	for (size_t i = 0; i < n_clients; i++)
		if (json_array_append_new(ids, json_string(client_ids[i])) < 0)
			goto out;
	if (n_candidates && !(sorted = malloc(n_candidates * sizeof(*sorted))))
		goto out;
	for (size_t i = 0; i < n_candidates; i++)
		sorted[i] = candidates[i];
	if (n_candidates)
		qsort(sorted, n_candidates, sizeof(*sorted), cmp_str);
	for (size_t i = 0; i < n_candidates; i++) {
		if (i && !strcmp(sorted[i], sorted[i - 1]))
			continue;
		if (json_array_append_new(cands, json_string(sorted[i])) < 0)
			goto out;
	}
	if (json_object_set(o, "client_ids", ids) < 0 ||
	    json_object_set(o, "candidates", cands) < 0)
		goto out;
	out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	free(sorted);
	json_decref(ids);
	json_decref(cands);
	json_decref(o);
	return out;
}
