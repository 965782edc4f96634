/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway config file: the core's section and the module list, validated. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "obs_http.h"
#include "wg.h"
#include "settings.h"

struct core_section {
	char site[FZGW_NAME_MAX];
	char module_path[PATH_MAX];
	int64_t listen_port;
	char health_check_addr[64];
	int64_t routing_table;
	char private_key_file[PATH_MAX];
	char control_socket[108];
	bool udp_offload;
	int64_t workers;
	int64_t handshake_load_threshold;
};

static const struct fzgw_key core_keys[] = {
	{ "site", FZGW_KEY_STRING, false, offsetof(struct core_section, site), FZGW_NAME_MAX, 0, 0 },
	{ "module_path", FZGW_KEY_STRING, false, offsetof(struct core_section, module_path), PATH_MAX, 0, 0 },
	{ "tun", FZGW_KEY_GROUP, false, 0, 0, 0, 0 },
	{ "listen_port", FZGW_KEY_INT, false, offsetof(struct core_section, listen_port), 0, 1, 65535 },
	{ "health_check_addr", FZGW_KEY_STRING, false, offsetof(struct core_section, health_check_addr), 64, 0, 0 },
	{ "routing_table", FZGW_KEY_INT, false, offsetof(struct core_section, routing_table), 0, 0, UINT32_MAX },
	{ "private_key_file", FZGW_KEY_STRING, false, offsetof(struct core_section, private_key_file), PATH_MAX, 0, 0 },
	{ "log", FZGW_KEY_GROUP, false, 0, 0, 0, 0 },
	{ "control_socket", FZGW_KEY_STRING, false, offsetof(struct core_section, control_socket), 108, 0, 0 },
	{ "udp_offload", FZGW_KEY_BOOL, false, offsetof(struct core_section, udp_offload), 0, 0, 0 },
	{ "workers", FZGW_KEY_INT, false, offsetof(struct core_section, workers), 0, 0, 64 },
	{ "handshake_load_threshold", FZGW_KEY_INT, false,
	  offsetof(struct core_section, handshake_load_threshold), 0, 8, 1000000 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

struct tun_section {
	char name[16];
	int64_t mtu;
	bool offload;
};

static const struct fzgw_key tun_keys[] = {
	{ "name", FZGW_KEY_STRING, false, offsetof(struct tun_section, name), 16, 0, 0 },
	{ "mtu", FZGW_KEY_INT, false, offsetof(struct tun_section, mtu), 0, 1280, 9000 },
	{ "offload", FZGW_KEY_BOOL, false, offsetof(struct tun_section, offload), 0, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

struct log_section {
	char level[16];
	char format[16];
	char filter[256];
};

static const struct fzgw_key log_keys[] = {
	{ "level", FZGW_KEY_STRING, false, offsetof(struct log_section, level), 16, 0, 0 },
	{ "format", FZGW_KEY_STRING, false, offsetof(struct log_section, format), 16, 0, 0 },
	{ "filter", FZGW_KEY_STRING, false, offsetof(struct log_section, filter), 256, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

struct mod_section {
	char name[FZGW_NAME_MAX];
	char path[PATH_MAX];
	bool enabled;
	int64_t priority;
	bool has_priority;
};

static const struct fzgw_key mod_keys[] = {
	{ "name", FZGW_KEY_STRING, true, offsetof(struct mod_section, name), FZGW_NAME_MAX, 0, 0 },
	{ "path", FZGW_KEY_STRING, false, offsetof(struct mod_section, path), PATH_MAX, 0, 0 },
	{ "enabled", FZGW_KEY_BOOL, false, offsetof(struct mod_section, enabled), 0, 0, 0 },
	{ "sites", FZGW_KEY_LIST, false, 0, 0, 0, 0 },
	{ "priority", FZGW_KEY_INT, false, offsetof(struct mod_section, priority), 0, -32768, 32767 },
	{ "settings", FZGW_KEY_GROUP, false, 0, 0, 0, 0 },
	{ "hooks", FZGW_KEY_GROUP, false, 0, 0, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

static const struct fzgw_key top_keys[] = {
	{ "gateway", FZGW_KEY_GROUP, true, 0, 0, 0, 0 },
	{ "modules", FZGW_KEY_LIST, true, 0, 0, 0, 0 },
	{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
};

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static int site_listed(const config_setting_t *sites, const char *site, bool *listed, char *err,
		       size_t errlen)
{
	int n = config_setting_length(sites);

	*listed = false;
	if (n > FZGW_MAX_SITES)
		return fzgw_settings_errf(sites, err, errlen, "more than %d sites", FZGW_MAX_SITES);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(sites, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fzgw_settings_errf(e, err, errlen, "wrong type, expected a site name string");
		if (!name_ok(config_setting_get_string(e)))
			return fzgw_settings_errf(e, err, errlen, "bad site name \"%s\" (use a-z 0-9 _ -)",
						  config_setting_get_string(e));
		if (!strcmp(config_setting_get_string(e), site))
			*listed = true;
	}
	return 0;
}

/* hooks = { in = 5; "out" = 200; }: per-hook priorities. The names are checked against the
 * module's hooks when it is loaded. */
static int load_hook_prios(struct fzgw_mod_entry *me, const config_setting_t *g, char *err,
			   size_t errlen)
{
	int n = config_setting_length(g);

	if (n > (int)(sizeof(me->hook_prio) / sizeof(me->hook_prio[0])))
		return fzgw_settings_errf(g, err, errlen, "more than %d hook priorities",
					  (int)(sizeof(me->hook_prio) / sizeof(me->hook_prio[0])));
	for (int i = 0; i < n; i++) {
		const config_setting_t *h = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(h);
		int t = config_setting_type(h);
		long long v;

		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			return fzgw_settings_errf(h, err, errlen,
						  "wrong type, expected a priority (an integer)");
		v = config_setting_get_int64(h);
		if (v < -32768 || v > 32767)
			return fzgw_settings_errf(h, err, errlen, "value %lld out of range -32768..32767", v);
		if (!name || strlen(name) >= FZGW_HOOK_NAME_MAX)
			return fzgw_settings_errf(h, err, errlen, "hook name too long");
		strcpy(me->hook_prio[i].name, name);
		me->hook_prio[i].priority = (int)v;
		me->hook_prio[i].cs = h;
	}
	me->n_hook_prio = n;
	return 0;
}

static int load_module_entry(struct fzgw_config *c, const config_setting_t *e, int idx, char *err,
			     size_t errlen)
{
	struct mod_section m = { .enabled = true };
	struct fzgw_mod_entry *me;
	const config_setting_t *sites;
	int rc;

	if (!config_setting_is_group(e))
		return fzgw_settings_errf(e, err, errlen, "wrong type, expected a module entry { name = ...; }");
	if ((rc = fzgw_settings_parse(e, mod_keys, &m, err, errlen)) < 0)
		return rc;
	m.has_priority = config_setting_get_member(e, "priority") != NULL;
	if (!name_ok(m.name))
		return fzgw_settings_errf(config_setting_get_member(e, "name"), err, errlen,
					  "bad module name \"%s\" (use a-z 0-9 _ -)", m.name);
	for (int i = 0; i < c->n_modules; i++)
		if (!strcmp(c->modules[i].name, m.name))
			return fzgw_settings_errf(config_setting_get_member(e, "name"), err, errlen,
						  "duplicate module \"%s\" (first at line %u)", m.name,
						  config_setting_source_line(c->modules[i].entry));
	if (c->n_modules == FZGW_MAX_MODULES)
		return fzgw_settings_errf(e, err, errlen, "more than %d modules", FZGW_MAX_MODULES);
	me = &c->modules[c->n_modules++];
	memset(me, 0, sizeof(*me));
	strcpy(me->name, m.name);
	me->entry = e;
	me->order = idx;
	me->settings = config_setting_get_member(e, "settings");
	me->has_priority = m.has_priority;
	me->priority = (int)m.priority;
	me->active = m.enabled;
	if (config_setting_get_member(e, "hooks") &&
	    (rc = load_hook_prios(me, config_setting_get_member(e, "hooks"), err, errlen)) < 0)
		return rc;
	if ((sites = config_setting_get_member(e, "sites"))) {
		bool listed;

		if ((rc = site_listed(sites, c->site, &listed, err, errlen)) < 0)
			return rc;
		me->active = me->active && listed;
	}
	if (m.path[0]) {
		strcpy(me->path, m.path);
	} else if ((size_t)snprintf(me->path, sizeof(me->path), "%s/%s.so", c->module_path,
				    m.name) >= sizeof(me->path)) {
		return fzgw_settings_errf(e, err, errlen, "module path too long");
	}
	return 0;
}

static int load_log(struct fzgw_config *c, const config_setting_t *g, const struct fzgw_overrides *ov,
		    char *err, size_t errlen)
{
	struct log_section l = { .level = "info", .format = "human" };

	int rc;

	if ((rc = fzgw_settings_parse(g, log_keys, &l, err, errlen)) < 0)
		return rc;
	if (fzgw_log_parse_level(l.level) < 0)
		return fzgw_settings_errf(config_setting_get_member(g, "level"), err, errlen,
					  "unknown log level \"%s\" (error, warn, info, debug, trace)", l.level);
	if ((rc = fzgw_log_parse_format(l.format)) < 0)
		return fzgw_settings_errf(config_setting_get_member(g, "format"), err, errlen,
					  "unknown log format \"%s\" (human, json)", l.format);
	c->log_format = rc;
	/* "level" is the default; "filter" adds per-module rules ("filter=debug"). */
	snprintf(c->log_filter, sizeof(c->log_filter), "%s%s%s", l.level, l.filter[0] ? "," : "",
		 l.filter);
	if (fzgw_log_check_filter(c->log_filter) < 0)
		return fzgw_settings_errf(config_setting_get_member(g, "filter"), err, errlen,
					  "bad log filter \"%s\" (e.g. \"portal=debug,filter=trace\")",
					  l.filter);
	if (ov && ov->log_filter) {
		if (strlen(ov->log_filter) >= sizeof(c->log_filter) ||
		    fzgw_log_check_filter(ov->log_filter) < 0) {
			snprintf(err, errlen, "RUST_LOG: bad log filter \"%.64s\"", ov->log_filter);
			return -EINVAL;
		}
		strcpy(c->log_filter, ov->log_filter);
	}
	if (ov && ov->log_format) {
		if ((rc = fzgw_log_parse_format(ov->log_format)) < 0) {
			snprintf(err, errlen, "FIREZONE_LOG_FORMAT: unknown log format \"%.32s\" (human, json)",
				 ov->log_format);
			return -EINVAL;
		}
		c->log_format = rc;
	}
	return 0;
}

/* Where modules are by default: next to the running binary as installed
 * (<exe dir>/FZGW_BIN_TO_MODULE_PATH) when that directory exists, so that an install under
 * another prefix finds its own modules; else the configure-time path. */
void fzgw_config_default_module_path(char *out, size_t len)
{
	char exe[PATH_MAX], real[PATH_MAX], *slash;
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	snprintf(out, len, "%s", FZGW_DEFAULT_MODULE_PATH);
	if (n <= 0)
		return;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return;
	*slash = '\0';
	if ((size_t)snprintf(slash, sizeof(exe) - (size_t)(slash - exe), "/%s", FZGW_BIN_TO_MODULE_PATH) >=
	    sizeof(exe) - (size_t)(slash - exe))
		return;
	if (stat(exe, &st) == 0 && S_ISDIR(st.st_mode) && realpath(exe, real) && strlen(real) < len)
		snprintf(out, len, "%s", real);
}

/* The health check server's address: --health-check-addr or HEALTH_CHECK_ADDR, else
 * gateway.health_check_addr, else the original's 0.0.0.0:8080; "off" or "" turn it off. */
static int health_addr(struct fzgw_config *c, const config_setting_t *gw, const char *file_value,
		       const struct fzgw_overrides *ov, char *err, size_t errlen)
{
	const config_setting_t *cs = config_setting_get_member(gw, "health_check_addr");
	const char *v = FZGW_HTTP_ADDR_DEFAULT;
	char host[64];
	uint16_t port;

	c->health_check_explicit = true;
	if (ov && ov->health_check_addr)
		v = ov->health_check_addr;
	else if (cs)
		v = file_value;
	else
		c->health_check_explicit = false;
	if (!fzgw_http_addr_off(v) && fzgw_http_parse_addr(v, host, sizeof(host), &port) < 0) {
		if (ov && ov->health_check_addr) {
			snprintf(err, errlen, "health check address \"%.64s\" (--health-check-addr or "
				 "HEALTH_CHECK_ADDR): expected IPv4:PORT or [IPv6]:PORT, or \"off\"", v);
			return -EINVAL;
		}
		return fzgw_settings_errf(cs, err, errlen,
					  "bad health check address \"%s\": expected IPv4:PORT or "
					  "[IPv6]:PORT, or \"off\"", v);
	}
	snprintf(c->health_check_addr, sizeof(c->health_check_addr), "%s", fzgw_http_addr_off(v) ? "off" : v);
	return 0;
}

static int load_core(struct fzgw_config *c, const config_setting_t *gw, const struct fzgw_overrides *ov,
		     char *err, size_t errlen)
{
	struct core_section s = { .site = "default", .listen_port = 52625,
				  .control_socket = FZGW_CONTROL_SOCKET_DEFAULT, .udp_offload = true, .workers = 1,
				  .handshake_load_threshold = FZGW_WG_LOAD_THRESHOLD_DEFAULT };
	struct tun_section t = { .name = "tun-firezone", .mtu = 1280, .offload = true };
	int rc;

	s.routing_table = FZGW_ROUTING_TABLE_DEFAULT;
	fzgw_config_default_module_path(s.module_path, sizeof(s.module_path));
	if ((rc = fzgw_settings_parse(gw, core_keys, &s, err, errlen)) < 0)
		return rc;
	/* 254 is the main table by its number; 255 holds the host's local routes */
	if (s.routing_table == 255)
		return fzgw_settings_errf(config_setting_get_member(gw, "routing_table"), err, errlen,
					  "routing_table 255 is the kernel's local table (0 or 254 = main)");
	c->routing_table = s.routing_table == 254 ? 0 : (uint32_t)s.routing_table;
	if ((rc = fzgw_settings_parse(config_setting_get_member(gw, "tun"), tun_keys, &t, err, errlen)) < 0)
		return rc;
	if (ov && ov->site) {
		if (strlen(ov->site) >= sizeof(s.site)) {
			snprintf(err, errlen, "FIREZONE_SITE: site name too long");
			return -EINVAL;
		}
		strcpy(s.site, ov->site);
	}
	if (!name_ok(s.site)) {
		if (ov && ov->site) {
			snprintf(err, errlen, "FIREZONE_SITE: bad site name \"%.64s\" (use a-z 0-9 _ -)", s.site);
			return -EINVAL;
		}
		return fzgw_settings_errf(config_setting_get_member(gw, "site"), err, errlen,
					  "bad site name \"%s\" (use a-z 0-9 _ -)", s.site);
	}
	if (ov && ov->module_path) {
		if (strlen(ov->module_path) >= sizeof(s.module_path)) {
			snprintf(err, errlen, "--module-path: path too long");
			return -EINVAL;
		}
		strcpy(s.module_path, ov->module_path);
	}
	if (!t.name[0])
		return fzgw_settings_errf(config_setting_get_member(config_setting_get_member(gw, "tun"), "name"),
					  err, errlen, "empty TUN name");
	strcpy(c->site, s.site);
	strcpy(c->module_path, s.module_path);
	strcpy(c->tun_name, t.name);
	c->mtu = (int)t.mtu;
	c->tun_offload = t.offload;
	c->udp_offload = s.udp_offload;
	c->workers = (int)s.workers;
	c->handshake_load_threshold = (uint32_t)s.handshake_load_threshold;
	c->listen_port = (int)s.listen_port;
	strcpy(c->private_key_file, s.private_key_file);
	if ((rc = health_addr(c, gw, s.health_check_addr, ov, err, errlen)) < 0)
		return rc;
	if (s.control_socket[0] && s.control_socket[0] != '/')
		return fzgw_settings_errf(config_setting_get_member(gw, "control_socket"), err, errlen,
					  "control_socket must be an absolute path (or \"\" for none)");
	strcpy(c->control_socket, s.control_socket);
	return load_log(c, config_setting_get_member(gw, "log"), ov, err, errlen);
}

int fzgw_config_load(struct fzgw_config *c, const char *path, const struct fzgw_overrides *ov,
		     char *err, size_t errlen)
{
	const config_setting_t *root, *mods;
	FILE *f;
	int rc;

	memset(c, 0, sizeof(*c));
	if (strlen(path) >= sizeof(c->file)) {
		snprintf(err, errlen, "config path too long");
		return -ENAMETOOLONG;
	}
	strcpy(c->file, path);
	if (!(f = fopen(path, "r"))) {
		rc = -errno;
		snprintf(err, errlen, "%s:0: cannot read config file: %s", path, strerror(errno));
		return rc;
	}
	fclose(f);
	config_init(&c->cfg);
	c->cfg_live = true;
	if (config_read_file(&c->cfg, path) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s:%d: %s", config_error_file(&c->cfg) ? config_error_file(&c->cfg) : path,
			 config_error_line(&c->cfg), config_error_text(&c->cfg));
		rc = -EINVAL;
		goto err_free;
	}
	root = config_root_setting(&c->cfg);
	if ((rc = fzgw_settings_parse(root, top_keys, NULL, err, errlen)) < 0)
		goto err_free;
	if ((rc = load_core(c, config_setting_get_member(root, "gateway"), ov, err, errlen)) < 0)
		goto err_free;
	mods = config_setting_get_member(root, "modules");
	for (int i = 0; i < config_setting_length(mods); i++)
		if ((rc = load_module_entry(c, config_setting_get_elem(mods, (unsigned)i), i, err, errlen)) < 0)
			goto err_free;
	return 0;

err_free:
	fzgw_config_free(c);
	return rc;
}

void fzgw_config_wipe_secrets(struct fzgw_config *c)
{
	if (c->cfg_live)
		fzgw_settings_wipe_secrets(config_lookup(&c->cfg, "modules"));
}

void fzgw_config_free(struct fzgw_config *c)
{
	fzgw_config_wipe_secrets(c);
	if (c->cfg_live)
		config_destroy(&c->cfg);
	c->cfg_live = false;
	c->n_modules = 0;
}
