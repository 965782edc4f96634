/* SPDX-License-Identifier: Apache-2.0 */
/* Resource descriptions and their filters, as the portal sends them, into struct fzgw_resource. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "resdef.h"

struct proto_ranges {
	bool seen, all;
	size_t n;
	struct fzgw_port_range *r; /* as many as the list has entries */
};

static int cmp_range(const void *a, const void *b)
{
	const struct fzgw_port_range *x = a, *y = b;

	return x->first != y->first ? (int)x->first - (int)y->first : (int)x->last - (int)y->last;
}

/* Sorted, overlapping and adjacent ranges merged in place, into the next filter of @out. */
static void emit(struct proto_ranges *p, uint8_t proto, struct fzgw_filter *out, uint32_t *n_out)
{
	struct fzgw_filter *f;
	size_t n = 0;

	if (!p->seen)
		return;
	f = &out[(*n_out)++];
	memset(f, 0, sizeof(*f));
	f->proto = proto;
	if (p->all || !p->n)
		return;
	qsort(p->r, p->n, sizeof(p->r[0]), cmp_range);
	for (size_t i = 0; i < p->n; i++) {
		if (n && (uint32_t)p->r[i].first <= (uint32_t)p->r[n - 1].last + 1) {
			if (p->r[i].last > p->r[n - 1].last)
				p->r[n - 1].last = p->r[i].last;
			continue;
		}
		p->r[n++] = p->r[i];
	}
	if (n == 1 && p->r[0].first == 0 && p->r[0].last == 65535)
		n = 0;
	f->n_ranges = (uint32_t)n;
	f->ranges = n ? p->r : NULL;
}

/*
 * One filter entry. The original reads the list as a plain Vec<Filter>: one entry it cannot
 * read (not an object, an unknown protocol, a port out of range) fails the whole message, and
 * so does it here. A range that ends before it starts would make the original's filter engine
 * panic; here it refuses the message too.
 */
static int one_filter(json_t *f, const char *path, struct proto_ranges *tcp,
		      struct proto_ranges *udp, bool *icmp, struct pz_err *e)
{
	const char *proto;
	int64_t first = 0, last = 65535;
	struct proto_ranges *p;

	if (!json_is_object(f))
		return pz_err_set(e, path, NULL, "not an object");
	if (pz_j_string(f, "protocol", path, PZ_REQ, 16, &proto, e) < 0)
		return -EINVAL;
	if (!strcmp(proto, "icmp")) {
		*icmp = true;
		return 0;
	}
	if (!strcmp(proto, "tcp"))
		p = tcp;
	else if (!strcmp(proto, "udp"))
		p = udp;
	else
		return pz_err_set(e, path, "protocol", "neither tcp, udp nor icmp");
	if (pz_j_int(f, "port_range_start", path, PZ_OPT, 0, 65535, NULL, &first, e) < 0 ||
	    pz_j_int(f, "port_range_end", path, PZ_OPT, 0, 65535, NULL, &last, e) < 0)
		return -EINVAL;
	if (first > last)
		return pz_err_set(e, path, "port_range_end", "before port_range_start");
	p->seen = true;
	if (first == 0 && last == 65535)
		p->all = true;
	else
		p->r[p->n++] = (struct fzgw_port_range){ (uint16_t)first, (uint16_t)last };
	return 0;
}

/* The filters of @obj with the rest of @res into an owned copy at @out. */
static int parse_filters(json_t *obj, const char *path, const struct fzgw_resource *res,
			 struct fzgw_resource **out, struct pz_err *e)
{
	struct proto_ranges tcp = { 0 }, udp = { 0 };
	struct fzgw_filter filters[3];
	struct fzgw_resource tmp = *res;
	char fpath[128], buf[128];
	json_t *arr, *f;
	bool icmp = false;
	size_t i, n;
	int rc = 0;

	if (pz_j_array(obj, "filters", path, PZ_REQ, &arr, e) < 0)
		return -EINVAL;
	n = json_array_size(arr);
	if (n && (!(tcp.r = calloc(n, sizeof(*tcp.r))) || !(udp.r = calloc(n, sizeof(*udp.r))))) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(arr, i, f) {
		snprintf(buf, sizeof(buf), "filters[%zu]", i);
		pz_path(fpath, sizeof(fpath), path, buf);
		if ((rc = one_filter(f, fpath, &tcp, &udp, &icmp, e)) < 0)
			goto out;
	}
	tmp.n_filters = 0;
	emit(&tcp, FZGW_FILTER_TCP, filters, &tmp.n_filters);
	emit(&udp, FZGW_FILTER_UDP, filters, &tmp.n_filters);
	if (icmp)
		filters[tmp.n_filters++] = (struct fzgw_filter){ .proto = FZGW_FILTER_ICMP };
	tmp.filters = tmp.n_filters ? filters : NULL;
	if (!(*out = pz_res_dup(&tmp)))
		rc = -ENOMEM;
out:
	free(tcp.r);
	free(udp.r);
	return rc;
}

int pz_resource_parse(json_t *obj, const char *path, struct fzgw_resource **out, struct pz_err *e)
{
	struct fzgw_resource res;
	const char *type, *addr, *name;
	char *pattern = NULL;
	int rc;

	*out = NULL;
	memset(&res, 0, sizeof(res));
	if (!json_is_object(obj))
		return pz_err_set(e, path, NULL, "not an object");
	if (pz_j_string(obj, "type", path, PZ_REQ, 16, &type, e) < 0 ||
	    pz_j_uuid(obj, "id", path, res.id, e) < 0)
		return -EINVAL;
	if (!strcmp(type, "internet")) {
		res.type = FZGW_RES_INTERNET;
		/* other fields are not read */
		return (*out = pz_res_dup(&res)) ? 0 : -ENOMEM;
	}
	if (pz_j_string(obj, "name", path, PZ_REQ, 4096, &name, e) < 0 ||
	    pz_j_string(obj, "address", path, PZ_REQ, 4096, &addr, e) < 0)
		return -EINVAL;
	if (!strcmp(type, "cidr")) {
		res.type = FZGW_RES_CIDR;
		if (pz_cidr_parse(addr, &res.addr, &res.prefix_len) < 0)
			return pz_err_set(e, path, "address",
					  "not a network (ADDR/LEN, host bits clear)");
	} else if (!strcmp(type, "dns")) {
		res.type = FZGW_RES_DNS;
		if (!(pattern = malloc(strlen(addr) + 1)))
			return -ENOMEM;
		if (pz_dns_pattern_parse(addr, pattern, strlen(addr) + 1) < 0) {
			free(pattern);
			return pz_err_set(e, path, "address", "not a name pattern");
		}
		res.pattern = pattern;
	} else {
		return pz_err_set(e, path, "type", "unknown resource type");
	}
	rc = parse_filters(obj, path, &res, out, e);
	free(pattern);
	return rc;
}

unsigned pz_json_depth(const char *text, size_t len)
{
	unsigned depth = 0, max = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if ((c == '}' || c == ']') && depth) {
			depth--;
		}
	}
	return max;
}
