/* SPDX-License-Identifier: Apache-2.0 */
/* Typed access to the fields of a parsed JSON message, naming the field in every error. */
#ifndef FZGW_PORTAL_JFIELD_H
#define FZGW_PORTAL_JFIELD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fzgw/module.h>

#include "values.h"

/* Why a message was refused: the dotted path of the field and a static reason. */
struct pz_err {
	char field[128];
	const char *why;
};

/* How a field may be missing. */
enum {
	PZ_REQ = 0,          /* present and not null */
	PZ_OPT = 1,          /* may be missing (then the default applies) */
	PZ_NULLABLE = 2,     /* may be null, which counts as missing */
};

/* Records @why for @path.@key (either may be NULL or empty) and returns -EINVAL. */
int pz_err_set(struct pz_err *e, const char *path, const char *key, const char *why);
/* "@path.@key" (or either alone) into @buf, for nested calls. */
const char *pz_path(char *buf, size_t len, const char *path, const char *key);

/*
 * Each getter reads @obj[@key] (an object). Absent or null where @flags allow: 0 with *out
 * untouched (or NULL for pointers) and *present false when given. Wrong type or value:
 * -EINVAL with @e set.
 */
int pz_j_object(json_t *obj, const char *key, const char *path, int flags, json_t **out,
		struct pz_err *e);
int pz_j_array(json_t *obj, const char *key, const char *path, int flags, json_t **out,
	       struct pz_err *e);
int pz_j_string(json_t *obj, const char *key, const char *path, int flags, size_t max_len,
		const char **out, struct pz_err *e);
/* A string copied into @buf (its length must fit). */
int pz_j_copy(json_t *obj, const char *key, const char *path, int flags, char *buf, size_t size,
	      struct pz_err *e);
/* An integer in [@min, @max]; JSON reals are refused. */
int pz_j_int(json_t *obj, const char *key, const char *path, int flags, int64_t min, int64_t max,
	     bool *present, int64_t *out, struct pz_err *e);
int pz_j_bool(json_t *obj, const char *key, const char *path, int flags, bool *out,
	      struct pz_err *e);
int pz_j_uuid(json_t *obj, const char *key, const char *path, char out[PZ_UUID_SIZE],
	      struct pz_err *e);
int pz_j_key(json_t *obj, const char *key, const char *path, uint8_t out[32], struct pz_err *e);
int pz_j_addr(json_t *obj, const char *key, const char *path, int family, struct fzgw_addr *out,
	      struct pz_err *e);

#endif
