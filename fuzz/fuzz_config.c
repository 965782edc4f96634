/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: arbitrary text as the gateway's config file, through libconfig and the core's
 * validation (core section, module entries, sites, overrides); a loaded config must be sane. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fzgw_config cfg;
	struct fzgw_overrides ov = { 0 };
	char path[64], err[1024];
	int fd;

	if (size > 65536)
		return 0;
	/* the loader reads a file by name: give it one in memory */
	if ((fd = memfd_create("fzgw-fuzz-config", MFD_CLOEXEC)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* the first byte, when it is a digit, picks overrides as the environment would */
	if (size && data[0] == '1')
		ov.site = "lab";
	if (size && data[0] == '2')
		ov.log_filter = "debug,filter=trace";
	err[0] = '\0';
	if (fzgw_config_load(&cfg, path, &ov, err, sizeof(err)) == 0) {
		CHECK(cfg.n_modules >= 0 && cfg.n_modules <= FZGW_MAX_MODULES);
		CHECK(cfg.mtu >= 1280 && cfg.mtu <= 9000);
		CHECK(cfg.listen_port >= 1 && cfg.listen_port <= 65535);
		CHECK(cfg.tun_name[0] != '\0');
		for (int i = 0; i < cfg.n_modules; i++) {
			CHECK(cfg.modules[i].name[0] != '\0');
			CHECK(strchr(cfg.modules[i].path, '\0') != NULL);
			for (int j = 0; j < i; j++)
				CHECK(strcmp(cfg.modules[i].name, cfg.modules[j].name) != 0);
		}
		fzgw_config_free(&cfg);
	} else {
		/* every refusal is one line that names the file */
		CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
		CHECK(strncmp(err, path, strlen(path)) == 0 || strstr(err, "RUST_LOG") ||
		      strstr(err, "FIREZONE_SITE"));
	}
	close(fd);
	return 0;
}
