/* SPDX-License-Identifier: Apache-2.0 */
/* Key tables over libconfig groups: typed reads, unknown keys refused, FILE:LINE errors. */
#ifndef FZGW_SETTINGS_H
#define FZGW_SETTINGS_H

#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>

#include <fzgw/module.h>

/* struct fzgw_settings is a libconfig setting seen through the public opaque type. */
static inline const config_setting_t *fzgw_settings_cs(const struct fzgw_settings *s)
{
	return (const config_setting_t *)s;
}
static inline const struct fzgw_settings *fzgw_settings_of(const config_setting_t *cs)
{
	return (const struct fzgw_settings *)cs;
}

/* Fills @out from @group following @table. On error writes "FILE:LINE: msg (key "a.b")"
 * into @err and returns -EINVAL. A NULL group is an empty one. */
int fzgw_settings_parse(const config_setting_t *group, const struct fzgw_key *table, void *out,
			char *err, size_t errlen);

/* Formats an error about setting @s into @err. Returns -EINVAL. */
int fzgw_settings_errf(const config_setting_t *s, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int fzgw_settings_verrf(const config_setting_t *s, char *err, size_t errlen, const char *fmt,
			va_list ap) __attribute__((format(printf, 4, 0)));

/* Dotted path of a setting ("gateway.tun.mtu", "modules.[2].name"). */
void fzgw_settings_path(const config_setting_t *s, char *buf, size_t len);



/* A digest (hex BLAKE2b) of a canonical text form of a setting, for "did it change?": the
 * text itself, which holds secrets, is wiped. Caller frees; NULL on ENOMEM. */
char *fzgw_settings_to_text(const config_setting_t *s);
/* Overwrites, in the libconfig tree below @s, the string values of keys named
 * preshared_key, private_key, psk or token (the modules have their copies by then). */
void fzgw_settings_wipe_secrets(const config_setting_t *s);
#endif
