/* SPDX-License-Identifier: Apache-2.0 */
/* Resource descriptions and their filters, as the portal sends them, into struct fzgw_resource. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

#define MAX_FILTER_ENTRIES 256

struct proto_ranges {
	bool seen, all;
	size_t n;
	struct fzgw_port_range r[MAX_FILTER_ENTRIES];
};

static int cmp_range(const void *a, const void *b)
{
	const struct fzgw_port_range *x = a, *y = b;

	return x->first != y->first ? (int)x->first - (int)y->first : (int)x->last - (int)y->last;
}

/* Sorted, overlapping and adjacent ranges merged; -E2BIG past the ABI's cap. */
static int emit(struct proto_ranges *p, uint8_t proto, struct fzgw_resource *out)
{
	struct fzgw_filter *f;
	size_t n = 0;

	if (!p->seen)
		return 0;
	f = &out->filters[out->n_filters++];
	memset(f, 0, sizeof(*f));
	f->proto = proto;
	if (p->all)
		return 0;
	qsort(p->r, p->n, sizeof(p->r[0]), cmp_range);
	for (size_t i = 0; i < p->n; i++) {
		if (n && (uint32_t)p->r[i].first <= (uint32_t)f->ranges[n - 1].last + 1) {
			if (p->r[i].last > f->ranges[n - 1].last)
				f->ranges[n - 1].last = p->r[i].last;
			continue;
		}
		if (n == FZGW_MAX_PORT_RANGES)
			return -E2BIG;
		f->ranges[n++] = p->r[i];
	}
	if (n == 1 && f->ranges[0].first == 0 && f->ranges[0].last == 65535)
		n = 0;
	f->n_ranges = (uint8_t)n;
	return 0;
}

/*
 * One filter entry. The original skips an entry it cannot read (unknown protocol, a port
 * out of range, a range that ends before it starts) and keeps the others: -EINVAL here
 * means "skip this entry", never "refuse the message".
 */
static int one_filter(json_t *f, struct proto_ranges *tcp, struct proto_ranges *udp, bool *icmp)
{
	const char *proto;
	int64_t first = 0, last = 65535;
	struct proto_ranges *p;

	if (!json_is_object(f) || pz_j_string(f, "protocol", NULL, PZ_REQ, 16, &proto, NULL) < 0)
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
		return -EINVAL;
	if (pz_j_int(f, "port_range_start", NULL, PZ_OPT, 0, 65535, NULL, &first, NULL) < 0 ||
	    pz_j_int(f, "port_range_end", NULL, PZ_OPT, 0, 65535, NULL, &last, NULL) < 0 ||
	    first > last)
		return -EINVAL;
	p->seen = true;
	if (first == 0 && last == 65535)
		p->all = true;
	else
		p->r[p->n++] = (struct fzgw_port_range){ (uint16_t)first, (uint16_t)last };
	return 0;
}

static int parse_filters(json_t *obj, const char *path, struct fzgw_resource *out, size_t *skipped,
			 struct pz_err *e)
{
	struct proto_ranges *tcp, *udp;
	json_t *arr, *f;
	bool icmp = false;
	size_t i, n, kept = 0;
	int rc = 0;

	if (pz_j_array(obj, "filters", path, PZ_REQ, &arr, e) < 0)
		return -EINVAL;
	if ((n = json_array_size(arr)) > MAX_FILTER_ENTRIES) {
		pz_err_set(e, path, "filters", "more than 256 entries");
		return -E2BIG;
	}
	if (!(tcp = calloc(2, sizeof(*tcp))))
		return -ENOMEM;
	udp = tcp + 1;
	json_array_foreach(arr, i, f) {
		if (one_filter(f, tcp, udp, &icmp) < 0)
			(*skipped)++;
		else
			kept++;
	}
	/*
	 * The original would turn a list of only unreadable entries into no filters at all,
	 * which allows everything. We never widen a grant that way.
	 */
	if (n && !kept) {
		rc = pz_err_set(e, path, "filters",
				"no readable entry (refusing to allow everything)");
		goto out;
	}
	if ((rc = emit(tcp, FZGW_FILTER_TCP, out)) < 0 ||
	    (rc = emit(udp, FZGW_FILTER_UDP, out)) < 0) {
		pz_err_set(e, path, "filters", "more than 32 port ranges for one protocol");
		goto out;
	}
	if (icmp)
		out->filters[out->n_filters++].proto = FZGW_FILTER_ICMP;
out:
	free(tcp);
	return rc;
}

int pz_resource_parse(json_t *obj, const char *path, struct fzgw_resource *out, size_t *skipped,
		      struct pz_err *e)
{
	char id[PZ_UUID_SIZE];
	const char *type, *addr, *name;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return pz_err_set(e, path, NULL, "not an object");
	if (pz_j_string(obj, "type", path, PZ_REQ, 16, &type, e) < 0 ||
	    pz_j_uuid(obj, "id", path, id, e) < 0)
		return -EINVAL;
	memcpy(out->id, id, sizeof(id));
	if (!strcmp(type, "internet")) {
		out->type = FZGW_RES_INTERNET;
		return 0; /* other fields are not read */
	}
	if (pz_j_string(obj, "name", path, PZ_REQ, 4096, &name, e) < 0 ||
	    pz_j_string(obj, "address", path, PZ_REQ, 4096, &addr, e) < 0)
		return -EINVAL;
	if (!strcmp(type, "cidr")) {
		out->type = FZGW_RES_CIDR;
		if (pz_cidr_parse(addr, &out->addr, &out->prefix_len) < 0)
			return pz_err_set(e, path, "address",
					  "not a network (ADDR/LEN, host bits clear)");
	} else if (!strcmp(type, "dns")) {
		out->type = FZGW_RES_DNS;
		if (pz_dns_pattern_parse(addr, out->pattern, sizeof(out->pattern)) < 0)
			return pz_err_set(e, path, "address", "not a name pattern");
	} else {
		return pz_err_set(e, path, "type", "unknown resource type");
	}
	return parse_filters(obj, path, out, skipped, e);
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
