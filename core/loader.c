/* SPDX-License-Identifier: Apache-2.0 */
/* Loading modules: file checks, the descriptor read before any module code runs, dlopen, init, unload. */
#include "loader.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "modfile.h"
#include "settings.h"

#define ELF_MAX_SIZE (64u << 20)

/* The descriptor's first fields, laid out as in struct fzgw_module. */
struct abi_head {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint64_t struct_size;
};

static int read_at(int fd, void *buf, size_t len, uint64_t off, uint64_t file_size)
{
	if (off > file_size || len > file_size - off)
		return -EINVAL;
	return pread(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

static int check_head(const struct abi_head *h, char *err, size_t errlen)
{
	if (h->abi_major != FZGW_ABI_MAJOR) {
		snprintf(err, errlen, "built for module ABI %u.%u, this gateway speaks %u.x",
			 h->abi_major, h->abi_minor, FZGW_ABI_MAJOR);
		return -EPROTO;
	}
	if (h->abi_minor > FZGW_ABI_MINOR) {
		snprintf(err, errlen, "built for module ABI %u.%u, newer than this gateway's %u.%u",
			 h->abi_major, h->abi_minor, FZGW_ABI_MAJOR, FZGW_ABI_MINOR);
		return -EPROTO;
	}
	if (h->struct_size < sizeof(struct fzgw_module)) {
		snprintf(err, errlen, "descriptor is %llu bytes, ABI %u.%u needs %zu",
			 (unsigned long long)h->struct_size, h->abi_major, h->abi_minor,
			 sizeof(struct fzgw_module));
		return -EPROTO;
	}
	return 0;
}

int fzgw_loader_precheck(const char *path, char *err, size_t errlen)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return rc;
	}
	rc = fzgw_loader_precheck_fd(fd, err, errlen);
	close(fd);
	return rc;
}

/* Walks the section headers for .dynsym, finds fzgw_module and reads its first 16
 * bytes from the file. Integers need no relocation, so this is what dlopen would see. */
int fzgw_loader_precheck_fd(int fd, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	struct stat st;
	struct abi_head head;
	int rc = -ENOEXEC;
	bool found = false;

	if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(eh) || (uint64_t)st.st_size > ELF_MAX_SIZE)
		goto bad_elf;
	if (read_at(fd, &eh, sizeof(eh), 0, (uint64_t)st.st_size) != 0 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_type != ET_DYN || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
	    eh.e_shnum > 4096)
		goto bad_elf;
	if (!(sh = calloc(eh.e_shnum, sizeof(*sh)))) {
		rc = -ENOMEM;
		goto out;
	}
	if (read_at(fd, sh, sizeof(*sh) * eh.e_shnum, eh.e_shoff, (uint64_t)st.st_size) != 0)
		goto bad_elf;
	for (unsigned i = 0; i < eh.e_shnum && !found; i++) {
		const Elf64_Shdr *sym_sh = &sh[i], *str_sh;

		if (sym_sh->sh_type != SHT_DYNSYM || sym_sh->sh_link >= eh.e_shnum ||
		    sym_sh->sh_entsize != sizeof(Elf64_Sym))
			continue;
		str_sh = &sh[sym_sh->sh_link];
		for (uint64_t k = 0; k < sym_sh->sh_size / sizeof(Elf64_Sym); k++) {
			Elf64_Sym sym;
			char name[sizeof(FZGW_MODULE_SYMBOL)];
			const Elf64_Shdr *data_sh;

			if (read_at(fd, &sym, sizeof(sym), sym_sh->sh_offset + k * sizeof(sym),
				    (uint64_t)st.st_size) != 0)
				goto bad_elf;
			if (sym.st_name >= str_sh->sh_size ||
			    read_at(fd, name, sizeof(name), str_sh->sh_offset + sym.st_name,
				    (uint64_t)st.st_size) != 0 ||
			    memcmp(name, FZGW_MODULE_SYMBOL, sizeof(name)) != 0)
				continue;
			if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= eh.e_shnum ||
			    ELF64_ST_TYPE(sym.st_info) != STT_OBJECT || sym.st_size < sizeof(head)) {
				snprintf(err, errlen, "symbol %s is not a module descriptor", FZGW_MODULE_SYMBOL);
				rc = -ENOEXEC;
				goto out;
			}
			data_sh = &sh[sym.st_shndx];
			if (data_sh->sh_type == SHT_NOBITS || sym.st_value < data_sh->sh_addr ||
			    read_at(fd, &head, sizeof(head), data_sh->sh_offset + (sym.st_value - data_sh->sh_addr),
				    (uint64_t)st.st_size) != 0)
				goto bad_elf;
			found = true;
			break;
		}
	}
	if (!found) {
		snprintf(err, errlen, "no exported symbol %s: not a firezone-gateway module", FZGW_MODULE_SYMBOL);
		rc = -ENOENT;
		goto out;
	}
	rc = check_head(&head, err, errlen);
	goto out;

bad_elf:
	snprintf(err, errlen, "not a 64-bit ELF shared object, or damaged");
	rc = -ENOEXEC;
out:
	free(sh);
	return rc;
}

static int check_desc(const struct fzgw_module *d, const char *want_name, char *err, size_t errlen)
{
	struct abi_head h = { d->abi_major, d->abi_minor, d->struct_size };
	int rc = check_head(&h, err, errlen);

	if (rc)
		return rc;
	if (!d->name || strcmp(d->name, want_name) != 0) {
		snprintf(err, errlen, "module calls itself \"%.64s\", the config says \"%s\"",
			 d->name ? d->name : "(null)", want_name);
		return -EINVAL;
	}
	if (!d->init) {
		snprintf(err, errlen, "descriptor has no init()");
		return -EINVAL;
	}
	for (int i = 0; i < FZGW_MAX_HOOKS && d->hooks[i].fn; i++) {
		if (d->hooks[i].phase >= FZGW_PHASE_COUNT) {
			snprintf(err, errlen, "hook %d has unknown phase %u", i, d->hooks[i].phase);
			return -EINVAL;
		}
		if (d->hooks[i].after && !fzgw_chain_after_ok(d->hooks[i].after)) {
			snprintf(err, errlen, "hook %d: bad \"after\" \"%.64s\" (\"module\" or \"module/hook\")",
				 i, d->hooks[i].after);
			return -EINVAL;
		}
	}
	for (int i = 0; i < FZGW_MAX_SUBS && d->subs[i].fn; i++)
		if (d->subs[i].type == FZGW_EV_NONE || d->subs[i].type >= FZGW_EV_TYPE_COUNT) {
			snprintf(err, errlen, "subscription %d has unknown event type %u", i, d->subs[i].type);
			return -EINVAL;
		}
	return 0;
}

/* Every per-hook priority of the config must name a hook of the module. */
static int check_hook_prios(const struct fzgw_mod_entry *me, const struct fzgw_module *d, char *err,
			    size_t errlen)
{
	for (int k = 0; k < me->n_hook_prio; k++) {
		char names[256] = "";
		bool found = false;

		for (int i = 0; i < FZGW_MAX_HOOKS && d->hooks[i].fn; i++) {
			const char *hn = d->hooks[i].name ? d->hooks[i].name : "hook";

			found = found || !strcmp(hn, me->hook_prio[k].name);
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? ", " : "", hn);
		}
		if (!found)
			return fzgw_settings_errf(me->hook_prio[k].cs, err, errlen,
						  "module \"%s\" has no hook \"%s\" (its hooks: %s)",
						  me->name, me->hook_prio[k].name,
						  names[0] ? names : "none");
	}
	return 0;
}

void fzgw_loader_set_placement(struct fzgw_ctx *ctx, const struct fzgw_mod_entry *me)
{
	ctx->has_priority = me->has_priority;
	ctx->priority = me->priority;
	ctx->n_hook_prio = me->n_hook_prio;
	memcpy(ctx->hook_prio, me->hook_prio, sizeof(ctx->hook_prio));
	ctx->order = me->order;
	ctx->entry_cs = me->entry;
}

static int entry_err(const struct fzgw_mod_entry *me, char *err, size_t errlen, const char *what)
{
	const config_setting_t *at = config_setting_get_member(me->entry, "path");

	return fzgw_settings_errf(at ? at : me->entry, err, errlen, "module \"%s\": %s", me->name, what);
}

int fzgw_loader_open(struct fzgw_core *core, const struct fzgw_mod_entry *me, struct fzgw_ctx **out,
		     char *err, size_t errlen)
{
	char why[2 * PATH_MAX + 256], real[PATH_MAX], dlname[64];
	struct fzgw_ctx *ctx;
	const struct fzgw_module *d;
	void *dl;
	int rc, fd;

	*out = NULL;
	/* one descriptor, checked with its directories, is what is read and what is loaded */
	if ((rc = fzgw_modfile_open(me->path, real, sizeof(real), &fd, why, sizeof(why))) < 0) {
		entry_err(me, err, errlen, why);
		return rc;
	}
	if ((rc = fzgw_loader_precheck_fd(fd, why, sizeof(why))) < 0) {
		char tmp[3 * PATH_MAX + 600];

		close(fd);
		snprintf(tmp, sizeof(tmp), "%s: %s", real, why);
		entry_err(me, err, errlen, tmp);
		return rc;
	}
	if ((rc = fzgw_modfile_dlname(fd, dlname, sizeof(dlname))) < 0) {
		close(fd);
		snprintf(why, sizeof(why), "%s: %s", real, strerror(-rc));
		entry_err(me, err, errlen, why);
		return rc;
	}
	if (!(dl = dlopen(dlname, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(why, sizeof(why), "%s: dlopen failed: %s", real, dlerror());
		entry_err(me, err, errlen, why);
		return -ENOEXEC;
	}
	/* dlclose only at exit: a module's strings may sit in counters and logs */
	if (!(d = dlsym(dl, FZGW_MODULE_SYMBOL))) {
		entry_err(me, err, errlen, "no fzgw_module symbol");
		return -ENOENT;
	}
	if ((rc = check_desc(d, me->name, why, sizeof(why))) < 0) {
		entry_err(me, err, errlen, why);
		return rc;
	}
	if ((rc = check_hook_prios(me, d, err, errlen)) < 0)
		return rc;
	if (!(ctx = calloc(1, sizeof(*ctx))))
		return -ENOMEM;
	ctx->core = core;
	strcpy(ctx->name, me->name);
	strcpy(ctx->path, me->path); /* as configured: a reload compares it */
	ctx->desc = d;
	ctx->dl = dl;
	ctx->check_only = core->check_only;
	fzgw_loader_set_placement(ctx, me);
	*out = ctx;
	return 0;
}

int fzgw_loader_init(struct fzgw_ctx *ctx, const config_setting_t *settings, char *err, size_t errlen)
{
	const struct fzgw_module *d = ctx->desc;
	int rc;

	ctx->state = NULL;
	ctx->last_err[0] = '\0';
	ctx->in_init = true;
	rc = d->init(ctx, &fzgw_core_api, fzgw_settings_of(settings), &ctx->state);
	ctx->in_init = false;
	if (rc < 0) {
		fzgw_ctx_unregister_all(ctx);
		if (ctx->last_err[0])
			snprintf(err, errlen, "%s", ctx->last_err);
		else if (settings)
			fzgw_settings_errf(settings, err, errlen, "module \"%s\" refused its settings: %s",
					   ctx->name, strerror(-rc));
		else
			snprintf(err, errlen, "module \"%s\": init failed: %s", ctx->name, strerror(-rc));
		return rc;
	}
	for (int i = 0; i < FZGW_MAX_SUBS && d->subs[i].fn; i++) {
		if ((rc = fzgw_bus_subscribe(&ctx->core->bus, ctx, d->subs[i].type, d->subs[i].fn,
					     ctx->state)) < 0) {
			snprintf(err, errlen, "module \"%s\": cannot subscribe: %s", ctx->name, strerror(-rc));
			fzgw_ctx_unregister_all(ctx);
			if (d->fini)
				d->fini(ctx->state);
			return rc;
		}
	}
	ctx->live = true;
	return 0;
}

void fzgw_loader_unload(struct fzgw_ctx *ctx)
{
	if (!ctx)
		return;
	fzgw_ctx_unregister_all(ctx);
	if (ctx->live && ctx->desc->fini)
		ctx->desc->fini(ctx->state);
	ctx->live = false;
	free(ctx->settings_text);
	free(ctx);
}
