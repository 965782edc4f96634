/* SPDX-License-Identifier: Apache-2.0 */
/* The module loader against real test modules: ABI attacks, failing init, chain order,
 * verdicts with default deny, STOLEN then reinject or free, DROP reasons, reload, unload. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "loader.h"
#include "tmpfile.h"
#include "trace.h"

static char trail[512];
static int sunk, released;

static void record(const char *what)
{
	strncat(trail, what, sizeof(trail) - strlen(trail) - 2);
	strcat(trail, " ");
}

static const struct tm_trace tracer = { record };

static void sink(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	(void)core;
	(void)pkt;
	sunk++;
}

static void release(struct fzgw_core *core, struct fzgw_packet *pkt)
{
	(void)core;
	(void)pkt;
	released++;
}

static struct fzgw_daemon d;

static int start(const char *modules, char *err, size_t errlen)
{
	char path[256], text[4096];
	struct fzgw_overrides ov = { .module_path = TM_DIR };
	int rc;

	snprintf(text, sizeof(text), "gateway = { log = { level = \"error\"; }; };\nmodules = (\n%s\n);\n", modules);
	assert_int_equal(tmp_write(path, sizeof(path), "gw.conf", text), 0);
	rc = fzgw_daemon_start(&d, path, &ov, false, err, errlen);
	if (rc == 0) {
		assert_int_equal(fzgw_registry_add(&d.core.reg, &d.core.self, "test.trace", &tracer), 0);
		d.core.sink[FZGW_DIR_IN] = sink;
		d.core.sink[FZGW_DIR_OUT] = sink;
		d.core.release = release;
	}
	trail[0] = '\0';
	sunk = released = 0;
	return rc;
}

static void expect_refused(const char *modules, int line, const char *want)
{
	char err[1024] = "", prefix[300];

	assert_true(start(modules, err, sizeof(err)) < 0);
	snprintf(prefix, sizeof(prefix), "%s/gw.conf:%d: ", tmp_dir(), line);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, want))
		fail_msg("got \"%s\", want prefix \"%s\" and \"%s\"", err, prefix, want);
}

static void test_abi_attacks(void **st)
{
	(void)st;
	expect_refused("{ name = \"tm_major\"; }", 3, "built for module ABI 1.0, this gateway speaks 2.x");
	expect_refused("{ name = \"tm_newminor\"; }", 3, "newer than this gateway's");
	expect_refused("{ name = \"tm_short\"; }", 3, "descriptor is 16 bytes");
	expect_refused("{ name = \"tm_nosym\"; }", 3, "no exported symbol fzgw_module");
	expect_refused("{ name = \"tm_named\"; }", 3, "module calls itself \"someone_else\"");
	expect_refused("{ name = \"nothere\"; }", 3, "no such module file");
	expect_refused("{ name = \"tm_a\"; path = \"/etc/passwd\"; }", 3, "not a 64-bit ELF");
	expect_refused("{ name = \"tm_a\"; settings = { verdict = \"maybe\"; }; }", 3,
		       "unknown verdict \"maybe\" (key \"modules[0].settings.verdict\")");
	expect_refused("{ name = \"tm_a\"; settings = { colour = 1; }; }", 3,
		       "unknown key (key \"modules[0].settings.colour\")");
	expect_refused("{ name = \"tm_a\"; settings = { value = \"x\"; }; }", 3, "expected an integer");
	expect_refused("{ name = \"tm_a\"; settings = { fail_init = true; }; }", 3, "refused its settings");
}

static void test_constructor_never_runs_when_refused(void **st)
{
	char marker[256], err[1024];

	(void)st;
	snprintf(marker, sizeof(marker), "%s/ctor-ran", tmp_dir());
	setenv("FZGW_TEST_MARKER", marker, 1);
	unlink(marker);
	assert_true(start("{ name = \"tm_ctor\"; }", err, sizeof(err)) < 0);
	assert_int_not_equal(access(marker, F_OK), 0);
	/* the same constructor in a good module does run: the marker works */
	assert_int_equal(start("{ name = \"tm_ctorok\"; }", err, sizeof(err)), 0);
	fzgw_daemon_stop(&d);
	assert_int_equal(access(marker, F_OK), 0);
	unsetenv("FZGW_TEST_MARKER");
}

/* ABI 2.1 appended to 2.0: a module built for 2.0 still loads and runs its hooks */
static void test_older_minor_loads(void **st)
{
	char err[1024];

	(void)st;
	assert_int_equal(start("{ name = \"tm_minor0\"; }", err, sizeof(err)), 0);
	assert_int_equal(d.core.n_mods, 1);
	assert_int_equal(d.core.mods[0]->desc->abi_minor, 0);
	assert_int_equal(FZGW_ABI_MINOR, 1);
	assert_int_equal(d.core.chains.phase[FZGW_PHASE_IN_FILTER].n, 1);
	fzgw_daemon_stop(&d);
}

static void test_writable_module_refused(void **st)
{
	char src[512], dst[512], cmd[1200], mods[1024], err[1024];

	(void)st;
	snprintf(src, sizeof(src), "%s/tm_a.so", TM_DIR);
	snprintf(dst, sizeof(dst), "%s/tm_a.so", tmp_dir());
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(dst, 0666), 0);
	snprintf(mods, sizeof(mods), "{ name = \"tm_a\"; path = \"%s\"; }", dst);
	expect_refused(mods, 3, "group- or world-writable");
	assert_int_equal(chmod(dst, 0644), 0);
	assert_int_equal(start(mods, err, sizeof(err)), 0);
	fzgw_daemon_stop(&d);
}

/* A copy of the test module @name at @dir/@name.so (@dir created with @mode). */
static void module_copy(const char *dir, mode_t mode, const char *name, char *dst, size_t len)
{
	char cmd[1200];

	mkdir(dir, 0700);
	assert_int_equal(chmod(dir, mode), 0);
	snprintf(dst, len, "%s/%s.so", dir, name);
	snprintf(cmd, sizeof(cmd), "cp '%s/%s.so' '%s' && chmod 0644 '%s'", TM_DIR, name, dst, dst);
	assert_int_equal(system(cmd), 0);
}

/*
 * Hardening 5: the file loaded is the file checked, and so are the directories above it.
 * A module below a group- or world-writable directory is refused (a root-owned sticky one,
 * /tmp, is fine), also when reached through a symbolic link from a good directory.
 */
static void test_module_directories_checked(void **st)
{
	char dir[300], sub[400], path[512], link[512], mods[1200], err[1024];

	(void)st;
	snprintf(dir, sizeof(dir), "%s/ww", tmp_dir());
	module_copy(dir, 0777, "tm_a", path, sizeof(path));
	snprintf(mods, sizeof(mods), "{ name = \"tm_a\"; path = \"%s\"; }", path);
	expect_refused(mods, 3, "group- or world-writable directory");
	/* through a link from a good directory: the real chain is checked */
	snprintf(link, sizeof(link), "%s/link-tm_a.so", tmp_dir());
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	snprintf(mods, sizeof(mods), "{ name = \"tm_a\"; path = \"%s\"; }", link);
	expect_refused(mods, 3, "group- or world-writable directory");
	assert_int_equal(chmod(dir, 0775), 0);
	expect_refused(mods, 3, "group- or world-writable directory (mode 775)");
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(start(mods, err, sizeof(err)), 0);
	fzgw_daemon_stop(&d);
	if (geteuid() != 0) {
		print_message("not root: the sticky-directory case is skipped\n");
		return;
	}
	/* a root-owned sticky directory with a private one below it */
	snprintf(dir, sizeof(dir), "%s/sticky", tmp_dir());
	mkdir(dir, 0700);
	assert_int_equal(chmod(dir, 01777), 0);
	snprintf(sub, sizeof(sub), "%s/mine", dir);
	module_copy(sub, 0755, "tm_b", path, sizeof(path));
	snprintf(mods, sizeof(mods), "{ name = \"tm_b\"; path = \"%s\"; }", path);
	assert_int_equal(start(mods, err, sizeof(err)), 0);
	fzgw_daemon_stop(&d);
	/* the module right in it: anyone could have put it there, the owner rule decides */
	assert_int_equal(chmod(dir, 0777), 0);
	expect_refused(mods, 3, "group- or world-writable directory (mode 777)");
}

/*
 * Hardening 5: a relative path is resolved once, against the working directory, and that
 * file is loaded (before, the check looked in the working directory and dlopen() searched
 * the library path for a bare name).
 */
static void test_module_relative_path(void **st)
{
	char dir[300], path[512], cwd[512], err[1024];

	(void)st;
	snprintf(dir, sizeof(dir), "%s/rel", tmp_dir());
	module_copy(dir, 0755, "tm_c", path, sizeof(path));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(start("{ name = \"tm_c\"; path = \"tm_c.so\"; }", err, sizeof(err)), 0);
	fzgw_daemon_stop(&d);
	assert_int_equal(start("{ name = \"tm_c\"; path = \"./tm_c.so\"; }", err, sizeof(err)), 0);
	fzgw_daemon_stop(&d);
	assert_int_equal(chdir(cwd), 0);
}

/*
 * Hardening 5: a gateway running as an unprivileged service user refuses module files (and
 * directories) that user owns: whoever runs as it could otherwise plant code for the next
 * start. Only a user that owns the gateway's executable too (a developer's build) is trusted.
 */
static void test_module_owned_by_service_user(void **st)
{
	const uid_t svc = 65534;
	char dir[300], path[512], conf[600], text[1200], err[1024];
	struct fzgw_overrides ov = { .module_path = TM_DIR };
	int rc;
	FILE *f;

	(void)st;
	if (geteuid() != 0) {
		print_message("not root: skipped\n");
		return;
	}
	assert_int_equal(chmod(tmp_dir(), 0755), 0);
	snprintf(dir, sizeof(dir), "%s/svc", tmp_dir());
	module_copy(dir, 0755, "tm_a", path, sizeof(path));
	assert_int_equal(chown(path, svc, svc), 0);
	snprintf(conf, sizeof(conf), "%s/gw.conf", dir);
	snprintf(text, sizeof(text),
		 "gateway = { log = { level = \"error\"; }; };\nmodules = (\n"
		 "{ name = \"tm_a\"; path = \"%s\"; }\n);\n", path);
	assert_non_null(f = fopen(conf, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(conf, 0644), 0);
	assert_int_equal(seteuid(svc), 0);
	rc = fzgw_daemon_start(&d, conf, &ov, true, err, sizeof(err));
	assert_int_equal(seteuid(0), 0);
	if (rc == 0)
		fzgw_daemon_stop(&d);
	assert_int_equal(chmod(tmp_dir(), 0700), 0);
	assert_true(rc < 0);
	if (!strstr(err, "owned by uid 65534"))
		fail_msg("got \"%s\"", err);
	/* root's file in root's directory: the service user loads it */
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(chmod(tmp_dir(), 0755), 0);
	assert_int_equal(seteuid(svc), 0);
	rc = fzgw_daemon_start(&d, conf, &ov, true, err, sizeof(err));
	assert_int_equal(seteuid(0), 0);
	assert_int_equal(chmod(tmp_dir(), 0700), 0);
	if (rc != 0)
		fail_msg("root's module refused: %s", err);
	fzgw_daemon_stop(&d);
}

static void test_failing_init_leaves_nothing(void **st)
{
	char err[1024];

	(void)st;
	/* tm_a loads and registers its service; tm_b fails: the whole start is undone */
	assert_true(start("{ name = \"tm_a\"; }, { name = \"tm_b\"; settings = { fail_init = true; }; }",
			  err, sizeof(err)) < 0);
	assert_null(d.core.base);
	assert_int_equal(d.core.n_mods, 0);
	assert_int_equal(d.core.reg.n, 0);
	assert_int_equal(d.core.bus.n, 0);
}

static struct fzgw_packet mkpkt(int dir)
{
	struct fzgw_packet p = { .dir = (uint8_t)dir };

	return p;
}

static void test_chain_order_and_default_deny(void **st)
{
	char err[1024];
	struct fzgw_packet p = mkpkt(FZGW_DIR_IN);

	(void)st;
	/* config order a, b, c; hook priorities a=10 b=20 c=10: a and c tie, config order decides */
	assert_int_equal(start("{ name = \"tm_a\"; }, { name = \"tm_b\"; }, { name = \"tm_c\"; }", err, sizeof(err)), 0);
	assert_int_equal(d.core.chains.phase[FZGW_PHASE_IN_FILTER].n, 3);
	fzgw_core_pipeline(&d.core, &p, FZGW_PHASE_IN_PARSE, 0);
	assert_string_equal(trail, "tm_a tm_c tm_b ");
	/* nobody accepted: default deny */
	assert_int_equal(sunk, 0);
	assert_int_equal(released, 1);
	assert_int_equal(fzgw_counter_get(&d.core.counters, "in-no-filter-accepted"), 1);
	fzgw_daemon_stop(&d);

	/* a priority in the config overrides the module's own */
	assert_int_equal(start("{ name = \"tm_a\"; priority = 30; }, { name = \"tm_b\"; }, { name = \"tm_c\"; settings = { verdict = \"accept\"; }; }",
			       err, sizeof(err)), 0);
	fzgw_core_pipeline(&d.core, &p, FZGW_PHASE_IN_PARSE, 0);
	assert_string_equal(trail, "tm_c ");
	assert_int_equal(sunk, 1);
	assert_int_equal(released, 0);
	fzgw_daemon_stop(&d);
}

static void test_drop_reason_counted(void **st)
{
	char err[1024];
	struct fzgw_packet p = mkpkt(FZGW_DIR_OUT);
	const struct fzgw_chain *c;

	(void)st;
	assert_int_equal(start("{ name = \"tm_a\"; settings = { out_verdict = \"drop\"; reason = \"port-denied\"; }; }, { name = \"tm_b\"; settings = { out_verdict = \"accept\"; }; }",
			       err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++)
		fzgw_core_pipeline(&d.core, &p, FZGW_PHASE_OUT_PARSE, 0);
	c = &d.core.chains.phase[FZGW_PHASE_OUT_FILTER];
	assert_string_equal(c->e[0].ctx->name, "tm_a");
	assert_string_equal(c->e[0].drops[0].reason, "port-denied");
	assert_int_equal(c->e[0].drops[0].n, 3);
	assert_int_equal(c->e[0].verdicts[FZGW_DROP], 3);
	assert_int_equal(c->e[1].verdicts[FZGW_ACCEPT], 0);
	assert_int_equal(fzgw_counter_get(&d.core.counters, "hook-dropped"), 3);
	assert_int_equal(released, 3);
	assert_int_equal(sunk, 0);
	fzgw_daemon_stop(&d);
}

static void test_stolen_reinject_and_free(void **st)
{
	char err[1024];
	struct fzgw_packet p = mkpkt(FZGW_DIR_IN);
	const struct tm_ctl *ctl;

	(void)st;
	assert_int_equal(start("{ name = \"tm_a\"; settings = { verdict = \"steal\"; }; }, { name = \"tm_b\"; settings = { verdict = \"accept\"; }; }",
			       err, sizeof(err)), 0);
	ctl = fzgw_registry_find(&d.core.reg, "tm_a.ctl");
	assert_non_null(ctl);
	fzgw_core_pipeline(&d.core, &p, FZGW_PHASE_IN_PARSE, 0);
	assert_string_equal(trail, "tm_a ");
	assert_int_equal(sunk + released, 0); /* the module owns it */
	/* reinject continues after the hook that stole it: tm_b accepts, the sink gets it */
	assert_int_equal(ctl->release(ctl->self, true), 0);
	assert_string_equal(trail, "tm_a tm_b ");
	assert_int_equal(sunk, 1);
	/* steal again, then free: released and counted by the module */
	fzgw_core_pipeline(&d.core, &p, FZGW_PHASE_IN_PARSE, 0);
	assert_int_equal(ctl->release(ctl->self, false), 0);
	assert_int_equal(released, 1);
	assert_int_equal(sunk, 1);
	assert_int_equal(fzgw_counter_get(&d.core.mods[0]->counters, "tm-freed"), 1);
	/* a module unloaded while holding a packet frees it in fini */
	fzgw_core_pipeline(&d.core, &p, FZGW_PHASE_IN_PARSE, 0);
	fzgw_daemon_stop(&d);
	assert_int_equal(released, 2);
}

static void test_bus_through_modules(void **st)
{
	char err[1024];
	struct fzgw_ev_peer ev = { .client_id = "x" };

	(void)st;
	assert_int_equal(start("{ name = \"tm_a\"; }, { name = \"tm_b\"; }", err, sizeof(err)), 0);
	assert_int_equal(fzgw_bus_publish(&d.core.bus, &d.core.self, FZGW_EV_PEER_REMOVED, &ev, sizeof(ev)), 2);
	assert_string_equal(trail, "tm_a:ev5 tm_b:ev5 ");
	fzgw_daemon_stop(&d);
}

static void rewrite(const char *modules)
{
	char path[256], text[4096];

	snprintf(text, sizeof(text), "gateway = { log = { level = \"error\"; }; };\nmodules = (\n%s\n);\n", modules);
	assert_int_equal(tmp_write(path, sizeof(path), "gw.conf", text), 0);
}

static void test_reload(void **st)
{
	char err[1024];
	const struct tm_ctl *ctl;

	(void)st;
	assert_int_equal(start("{ name = \"tm_a\"; settings = { value = 1; }; }", err, sizeof(err)), 0);
	ctl = fzgw_registry_find(&d.core.reg, "tm_a.ctl");
	assert_int_equal(ctl->value(ctl->self), 1);
	/* a bad new config is refused and changes nothing */
	rewrite("{ name = \"tm_a\"; settings = { value = 2; }; }, { name = \"tm_b\"; settings = { verdict = \"bogus\"; }; }");
	assert_true(fzgw_daemon_reload(&d, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "unknown verdict"));
	assert_int_equal(ctl->value(ctl->self), 1);
	assert_int_equal(d.core.n_mods, 1);
	rewrite("{ name = \"tm_a\"; settings = { value = 2; }; ");
	assert_true(fzgw_daemon_reload(&d, err, sizeof(err)) < 0);
	assert_int_equal(ctl->value(ctl->self), 1);
	/* a good one: tm_a gets its new settings in place, tm_b is loaded */
	rewrite("{ name = \"tm_a\"; settings = { value = 2; }; }, { name = \"tm_b\"; }");
	assert_int_equal(fzgw_daemon_reload(&d, err, sizeof(err)), 0);
	assert_ptr_equal(fzgw_registry_find(&d.core.reg, "tm_a.ctl"), ctl);
	assert_int_equal(ctl->value(ctl->self), 2);
	assert_int_equal(d.core.n_mods, 2);
	assert_int_equal(d.core.chains.phase[FZGW_PHASE_IN_FILTER].n, 2);
	/* disabling tm_a unloads it and removes its service and hooks */
	rewrite("{ name = \"tm_a\"; enabled = false; }, { name = \"tm_b\"; }");
	assert_int_equal(fzgw_daemon_reload(&d, err, sizeof(err)), 0);
	assert_null(fzgw_registry_find(&d.core.reg, "tm_a.ctl"));
	assert_non_null(fzgw_registry_find(&d.core.reg, "tm_b.ctl"));
	assert_int_equal(d.core.chains.phase[FZGW_PHASE_IN_FILTER].n, 1);
	fzgw_daemon_stop(&d);
}

static char *print_chains(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fzgw_daemon_print(&d, f);
	fclose(f);
	return buf;
}

static void expect_chain(const char *modules, const char *want)
{
	char err[1024];
	char *buf;

	if (start(modules, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	buf = print_chains();
	if (!strstr(buf, want))
		fail_msg("chains:\n%s\nwant: %s", buf, want);
	free(buf);
	fzgw_daemon_stop(&d);
}

/* Item 11: a hook with `after` lands behind its anchor whatever the priorities say. */
static void test_after_placement(void **st)
{
	(void)st;
	/* tm_after's hook has priority 5 but runs after tm_b (20) */
	expect_chain("{ name = \"tm_a\"; }, { name = \"tm_after\"; }, { name = \"tm_b\"; }",
		     "in-filter : [10] tm_a/in -> [20] tm_b/in -> [5] tm_after/in (after tm_b) -> deny");
	/* the module-wide priority override cannot move it ahead of its anchor */
	expect_chain("{ name = \"tm_after\"; priority = -100; }, { name = \"tm_b\"; priority = 100; }, { name = \"tm_a\"; }",
		     "in-filter : [10] tm_a/in -> [100] tm_b/in -> [-100] tm_after/in (after tm_b) -> deny");
	/* its other hook (out) has no anchor: the override moves it */
	expect_chain("{ name = \"tm_after\"; priority = -100; }, { name = \"tm_b\"; priority = 100; }",
		     "out-filter: [-100] tm_after/out -> [100] tm_b/out -> deny");
	/* an anchor that is not loaded places nothing */
	expect_chain("{ name = \"tm_after\"; }, { name = \"tm_a\"; }, { name = \"tm_b\"; enabled = false; }",
		     "in-filter : [5] tm_after/in (after tm_b) -> [10] tm_a/in -> deny");
	/* the order in the pipeline is the printed one */
	{
		char err[1024];
		struct fzgw_packet p = mkpkt(FZGW_DIR_IN);

		assert_int_equal(start("{ name = \"tm_after\"; }, { name = \"tm_b\"; }, { name = \"tm_a\"; }", err, sizeof(err)), 0);
		fzgw_core_pipeline(&d.core, &p, FZGW_PHASE_IN_PARSE, 0);
		assert_string_equal(trail, "tm_a tm_b tm_after ");
		fzgw_daemon_stop(&d);
	}
}

static void test_after_cycle_refused(void **st)
{
	(void)st;
	expect_refused("{ name = \"tm_a\"; },\n{ name = \"tm_cyc1\"; },\n{ name = \"tm_cyc2\"; }", 4,
		       "hooks of phase in-filter placed after each other in a cycle: tm_cyc1/in after \"tm_cyc2\", tm_cyc2/in after \"tm_cyc1/in\"");
	expect_refused("{ name = \"tm_badafter\"; }", 3, "bad \"after\" \"a/b/c\"");
}

static void test_after_cycle_refused_on_reload(void **st)
{
	char err[1024];

	(void)st;
	assert_int_equal(start("{ name = \"tm_cyc1\"; }", err, sizeof(err)), 0);
	rewrite("{ name = \"tm_cyc1\"; }, { name = \"tm_cyc2\"; }");
	assert_true(fzgw_daemon_reload(&d, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "in a cycle"));
	assert_int_equal(d.core.n_mods, 1);
	assert_int_equal(d.core.chains.phase[FZGW_PHASE_IN_FILTER].n, 1);
	fzgw_daemon_stop(&d);
}

/* Per-hook priorities in the config: hooks = { <hook> = <priority>; }. */
static void test_hook_priorities(void **st)
{
	(void)st;
	/* only tm_a's "in" moves; its "out" keeps the module-wide override */
	expect_chain("{ name = \"tm_a\"; priority = 30; hooks = { in = 1; }; }, { name = \"tm_b\"; }",
		     "in-filter : [1] tm_a/in -> [20] tm_b/in -> deny");
	expect_chain("{ name = \"tm_a\"; priority = 30; hooks = { in = 1; }; }, { name = \"tm_b\"; }",
		     "out-filter: [20] tm_b/out -> [30] tm_a/out -> deny");
	/* and it cannot move a hook with `after` ahead of its anchor either */
	expect_chain("{ name = \"tm_after\"; hooks = { in = -5; }; }, { name = \"tm_b\"; }",
		     "in-filter : [20] tm_b/in -> [-5] tm_after/in (after tm_b) -> deny");
	expect_refused("{ name = \"tm_a\";\n hooks = { inn = 1; }; }", 4,
		       "module \"tm_a\" has no hook \"inn\" (its hooks: in, out) (key \"modules[0].hooks.inn\")");
	expect_refused("{ name = \"tm_a\";\n hooks = { in = \"first\"; }; }", 4,
		       "wrong type, expected a priority (an integer) (key \"modules[0].hooks.in\")");
	expect_refused("{ name = \"tm_a\";\n hooks = { in = 40000; }; }", 4,
		       "value 40000 out of range -32768..32767");
	expect_refused("{ name = \"tm_a\";\n hooks = ( 1 ); }", 4, "wrong type, expected a group");
}

/* A module without a settings group gets NULL; a required key then names the entry's line. */
static int req_init(struct fzgw_ctx *ctx, const struct fzgw_api *api, const struct fzgw_settings *s,
		    void **state)
{
	static const struct fzgw_key keys[] = {
		{ "rate", FZGW_KEY_INT, true, 0, 0, 0, 0 },
		{ NULL, FZGW_KEY_END, false, 0, 0, 0, 0 },
	};
	int64_t rate = 5;

	*state = NULL;
	assert_null(s);
	return api->settings_parse(ctx, s, keys, &rate);
}

static void test_null_settings_required_key(void **st)
{
	static const struct fzgw_module desc = { FZGW_MODULE_HEADER, .name = "req", .init = req_init };
	char path[256], err[512];
	config_t cfg;
	struct fzgw_ctx ctx;

	(void)st;
	assert_int_equal(tmp_write(path, sizeof(path), "req.conf", "modules = (\n { name = \"req\"; }\n);\n"), 0);
	config_init(&cfg);
	assert_int_equal(config_read_file(&cfg, path), CONFIG_TRUE);
	memset(&ctx, 0, sizeof(ctx));
	fzgw_core_init(&d.core, NULL, true);
	ctx.core = &d.core;
	strcpy(ctx.name, "req");
	ctx.desc = &desc;
	ctx.entry_cs = config_setting_get_elem(config_lookup(&cfg, "modules"), 0);
	assert_int_equal(fzgw_loader_init(&ctx, NULL, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "req.conf:2: module \"req\" has no settings: missing required key \"rate\""))
		fail_msg("%s", err);
	config_destroy(&cfg);
}

static void test_check_only_mode(void **st)
{
	char path[256], err[1024];
	struct fzgw_overrides ov = { .module_path = TM_DIR };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)st;
	rewrite("{ name = \"tm_a\"; }, { name = \"tm_b\"; priority = 5; }, { name = \"tm_c\"; enabled = false; }");
	snprintf(path, sizeof(path), "%s/gw.conf", tmp_dir());
	assert_int_equal(fzgw_daemon_start(&d, path, &ov, true, err, sizeof(err)), 0);
	assert_true(d.core.mods[0]->check_only);
	f = open_memstream(&buf, &len);
	fzgw_daemon_print(&d, f);
	fclose(f);
	assert_non_null(strstr(buf, "site: default"));
	assert_non_null(strstr(buf, "in-filter : [5] tm_b/in -> [10] tm_a/in -> deny"));
	assert_non_null(strstr(buf, "tm_c             off"));
	free(buf);
	fzgw_daemon_stop(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi_attacks),
		cmocka_unit_test(test_constructor_never_runs_when_refused),
		cmocka_unit_test(test_older_minor_loads),
		cmocka_unit_test(test_writable_module_refused),
		cmocka_unit_test(test_module_directories_checked),
		cmocka_unit_test(test_module_relative_path),
		cmocka_unit_test(test_module_owned_by_service_user),
		cmocka_unit_test(test_failing_init_leaves_nothing),
		cmocka_unit_test(test_chain_order_and_default_deny),
		cmocka_unit_test(test_drop_reason_counted),
		cmocka_unit_test(test_stolen_reinject_and_free),
		cmocka_unit_test(test_bus_through_modules),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_check_only_mode),
		cmocka_unit_test(test_after_placement),
		cmocka_unit_test(test_after_cycle_refused),
		cmocka_unit_test(test_after_cycle_refused_on_reload),
		cmocka_unit_test(test_hook_priorities),
		cmocka_unit_test(test_null_settings_required_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
