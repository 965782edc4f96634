/* SPDX-License-Identifier: Apache-2.0 */
/* Logging to stderr: levels, human or JSON lines, a level filter per module. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LOG_MAX_RULES 16

struct log_rule {
	char module[32];
	int level;
};

static struct {
	int format;
	int def_level;
	int n_rules;
	struct log_rule rules[LOG_MAX_RULES];
} logcfg = { .format = FZGW_LOG_HUMAN, .def_level = FZGW_LOG_INFO };

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

int fzgw_log_parse_level(const char *s)
{
	for (int i = 0; i <= FZGW_LOG_TRACE; i++)
		if (!strcasecmp(s, level_names[i]))
			return i;
	if (!strcasecmp(s, "warning"))
		return FZGW_LOG_WARN;
	return -EINVAL;
}

int fzgw_log_parse_format(const char *s)
{
	if (!strcasecmp(s, "human"))
		return FZGW_LOG_HUMAN;
	if (!strcasecmp(s, "json"))
		return FZGW_LOG_JSON;
	return -EINVAL;
}

void fzgw_log_set_format(int format)
{
	logcfg.format = format;
}

static int parse_filter(const char *spec, bool apply)
{
	char buf[512], *save = NULL, *tok;
	int def = FZGW_LOG_INFO, n = 0;
	struct log_rule rules[LOG_MAX_RULES];

	if (strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int lvl;

		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		if (!eq) {
			if ((lvl = fzgw_log_parse_level(tok)) < 0)
				return -EINVAL;
			def = lvl;
			continue;
		}
		*eq = '\0';
		if (n == LOG_MAX_RULES || strlen(tok) >= sizeof(rules[0].module) || !*tok)
			return -EINVAL;
		if ((lvl = fzgw_log_parse_level(eq + 1)) < 0)
			return -EINVAL;
		strcpy(rules[n].module, tok);
		rules[n++].level = lvl;
	}
	if (!apply)
		return 0;
	logcfg.def_level = def;
	logcfg.n_rules = n;
	memcpy(logcfg.rules, rules, sizeof(rules[0]) * (size_t)n);
	return 0;
}

int fzgw_log_set_filter(const char *spec)
{
	return parse_filter(spec, true);
}

int fzgw_log_check_filter(const char *spec)
{
	return parse_filter(spec, false);
}

bool fzgw_log_enabled(const char *module, int level)
{
	for (int i = 0; i < logcfg.n_rules; i++)
		if (!strcmp(logcfg.rules[i].module, module))
			return level <= logcfg.rules[i].level;
	return level <= logcfg.def_level;
}

static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

void fzgw_logv(const char *module, int level, const char *fmt, va_list ap)
{
	char msg[1024], ts[96];
	struct timespec now;
	struct tm tm;

	if (level < 0 || level > FZGW_LOG_TRACE || !fzgw_log_enabled(module, level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (now.tv_nsec / 1000000) % 1000);
	flockfile(stderr);
	if (logcfg.format == FZGW_LOG_JSON) {
		fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"module\":\"", ts, level_names[level]);
		json_escape(stderr, module);
		fputs("\",\"msg\":\"", stderr);
		json_escape(stderr, msg);
		fputs("\"}\n", stderr);
	} else {
		/* one event, one line: text from outside must not forge log lines */
		for (char *c = msg; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		fprintf(stderr, "%s %-5s %s: %s\n", ts, level_names[level], module, msg);
	}
	funlockfile(stderr);
	fflush(stderr);
}

void fzgw_log(const char *module, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fzgw_logv(module, level, fmt, ap);
	va_end(ap);
}
