/* SPDX-License-Identifier: Apache-2.0 */
/* firezone-gateway: command line, environment, exit codes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "daemon.h"
#include "log.h"

#define DEFAULT_CONFIG "/etc/firezone/gateway.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: firezone-gateway [--config FILE] [--module-path DIR] [--check-config]\n"
		"                        [--version] [--help]\n"
		"       firezone-gateway status [--json] [--socket PATH]\n"
		"       firezone-gateway capture [--client ID] [-w FILE] [--max-bytes N]\n"
		"                                [--max-seconds S] [--socket PATH]\n"
		"                                (see firezone-gateway status --help)\n"
		"\n"
		"  -c, --config FILE       config file (default " DEFAULT_CONFIG ")\n"
		"  -m, --module-path DIR   where modules are found (overrides gateway.module_path)\n"
		"      --health-check-addr ADDR:PORT   health and metrics HTTP server (/healthz,\n"
		"                          /readyz, /metrics), e.g. 127.0.0.1:8080 or [::]:8080;\n"
		"                          \"off\" disables it (default 0.0.0.0:8080)\n"
		"  -t, --check-config      validate the config and every enabled module, print the\n"
		"                          active site, modules and hook chains, then exit 0 or 78\n"
		"  -V, --version           print the version and exit\n"
		"  -h, --help              this text\n"
		"\n"
		"Environment (overrides the file; flags override both):\n"
		"  FIREZONE_TOKEN          portal token (or the systemd credential FIREZONE_TOKEN);\n"
		"                          needed only when the portal module is enabled\n"
		"  FIREZONE_ID, FIREZONE_NAME, FIREZONE_API_URL   the gateway's portal identity\n"
		"  FIREZONE_SITE           active site (gateway.site)\n"
		"  RUST_LOG                log filter, e.g. \"info,portal=debug\" (gateway.log)\n"
		"  FIREZONE_LOG_FORMAT     human or json (gateway.log.format)\n"
		"  HEALTH_CHECK_ADDR       as --health-check-addr (gateway.health_check_addr)\n"
		"\n"
		"Exit codes: 0 clean, 1 fatal runtime error, 64 usage error, 78 config or module error.\n");
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "module-path", required_argument, NULL, 'm' },
		{ "check-config", no_argument, NULL, 't' },
		{ "health-check-addr", required_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = DEFAULT_CONFIG;
	struct fzgw_overrides ov = { 0 };
	struct fzgw_daemon *d;
	bool check = false;
	char err[1024];
	int c, rc;

	/* the control socket's client: a running gateway's live state and packet capture */
	if (argc > 1 && fzgw_ctl_is_command(argv[1]))
		return fzgw_ctl_main(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "c:m:tVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'm':
			ov.module_path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'H':
			ov.health_check_addr = optarg;
			break;
		case 'V':
			printf("firezone-gateway %s (module ABI %d.%d)\n", FZGW_VERSION, FZGW_ABI_MAJOR,
			       FZGW_ABI_MINOR);
			return FZGW_EXIT_OK;
		case 'h':
			usage(stdout);
			return FZGW_EXIT_OK;
		default:
			usage(stderr);
			return FZGW_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "firezone-gateway: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return FZGW_EXIT_USAGE;
	}
	ov.site = env("FIREZONE_SITE");
	ov.log_filter = env("RUST_LOG");
	ov.log_format = env("FIREZONE_LOG_FORMAT");
	if (!ov.health_check_addr)
		ov.health_check_addr = getenv("HEALTH_CHECK_ADDR"); /* "" turns it off too */

	if (!(d = calloc(1, sizeof(*d)))) {
		fprintf(stderr, "firezone-gateway: out of memory\n");
		return FZGW_EXIT_FATAL;
	}
	if (fzgw_daemon_start(d, config, &ov, check, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		free(d);
		return FZGW_EXIT_CONFIG;
	}
	if (check) {
		fzgw_daemon_print(d, stdout);
		printf("config OK\n");
		fzgw_daemon_stop(d);
		free(d);
		return FZGW_EXIT_OK;
	}
	if (fzgw_daemon_open_dataplane(d, err, sizeof(err)) < 0) {
		fzgw_err("%s", err);
		fzgw_daemon_stop(d);
		free(d);
		return FZGW_EXIT_FATAL;
	}
	rc = fzgw_daemon_run(d);
	fzgw_daemon_stop(d);
	fzgw_info("goodbye");
	free(d);
	return rc;
}
