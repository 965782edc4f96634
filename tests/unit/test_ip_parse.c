/* SPDX-License-Identifier: Apache-2.0 */
/* Tests the strict IP parser against a table of packets, and the lenient ICMP quote parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "checksum.h"
#include "ip_parse.h"
#include "pkt_util.h"

struct row {
	const char *name;
	const char *hex;
	size_t pad;  /* zero bytes appended after the hex (already counted in the headers) */
	size_t mtu;  /* 0: FZGW_IP_MAX_SIZE */
	int reason;
	int kind;
	/* checked only when accepted */
	int version, proto, flags;
	int sport, dport, l3_len, l4_hdr_len;
	int ttl, tcp_flags, icmp_type, icmp_code;
};

/*
 * Rows written from packet captures and hand-built edge cases; each names the rule it
 * exercises. Checksums are correct in every accepted row.
 */
static const struct row rows[] = {
	{
		.name = "v4 tcp syn, linux options",
		.hex = "4500003c1c464000400640e664426e490a000105c93a01bb3a1c5e0100000000"
		"a002fbe053f40000020404d80402080a9a3c1e270000000001030307",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 51514, .dport = 443, .l3_len = 20, .l4_hdr_len = 40,
		.ttl = 64, .tcp_flags = 0x02, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 tcp ack, odd payload",
		.hex = "4500002d1c464000400640f564426e490a000105c93a01bb3a1c5e0100000001"
		"5018faf03060000068656c6c6f",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 51514, .dport = 443, .l3_len = 20, .l4_hdr_len = 20,
		.ttl = 64, .tcp_flags = 0x18, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 tcp data offset 15",
		.hex = "450000501c464000400640d264426e490a000105000100023a1c5e0100000000"
		"f010faf08af60000010101010101010101010101010101010101010101010101"
		"01010101010101010101010101010101",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 1, .dport = 2, .l3_len = 20, .l4_hdr_len = 60,
		.ttl = 64, .tcp_flags = 0x10, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 tcp fin ack",
		.hex = "450000281c464000390647fa0a00010564426e4901bbc93a3a1c5e0100000007"
		"5011faf074380000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 443, .dport = 51514, .l3_len = 20, .l4_hdr_len = 20,
		.ttl = 57, .tcp_flags = 0x11, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 tcp rst",
		.hex = "450000281c46400001067ffa0a00010564426e4900509c403a1c5e0100000000"
		"500400009da20000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 80, .dport = 40000, .l3_len = 20, .l4_hdr_len = 20,
		.ttl = 1, .tcp_flags = 0x04, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 udp dns query",
		.hex = "450000441c464000401140d364426e490a000105958100350030f4adb7e10120"
		"0001000000000001076578616d706c6503636f6d000001000100002910000000"
		"00000000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 38273, .dport = 53, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 udp checksum zero",
		.hex = "450000201c464000401140f764426e490a00010513881770000c000061626364",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS | FZGW_IP_F_UDP_CSUM0,
		.sport = 5000, .dport = 6000, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 udp empty payload",
		.hex = "4500001c1c464000401140fb64426e490a0001050001ffff0008224d",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 1, .dport = 65535, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 udp odd payload",
		.hex = "4500001f1c464000401140f864426e490a000105007b007b000b2ed878797a",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 123, .dport = 123, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 icmp echo request (ping)",
		.hex = "450000541c464000400115fd64426e495db8d82208000aeb1c2d0001d3a1f466"
		"000000003c0b0e0000000000101112131415161718191a1b1c1d1e1f20212223"
		"2425262728292a2b2c2d2e2f3031323334353637",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 1, .flags = FZGW_IP_F_ICMP_ECHO,
		.sport = 7213, .dport = 7213, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 8, .icmp_code = 0,
	},
	{
		.name = "v4 icmp echo reply",
		.hex = "450000541c46400037011efd5db8d82264426e49000012eb1c2d0001d3a1f466"
		"000000003c0b0e0000000000101112131415161718191a1b1c1d1e1f20212223"
		"2425262728292a2b2c2d2e2f3031323334353637",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 1, .flags = FZGW_IP_F_ICMP_ECHO,
		.sport = 7213, .dport = 7213, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 55, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 icmp echo, no data",
		.hex = "4500001c1c4640004001163564426e495db8d8220800f7ef00070009",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 1, .flags = FZGW_IP_F_ICMP_ECHO,
		.sport = 7, .dport = 7, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 8, .icmp_code = 0,
	},
	{
		.name = "v4 icmp port unreachable quoting udp",
		.hex = "450000601c4600003f0181c70a00010564426e490303dace0000000045000044"
		"1c464000401140d364426e490a000105958100350030f4adb7e1012000010000"
		"00000001076578616d706c6503636f6d00000100010000291000000000000000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 1, .flags = FZGW_IP_F_ICMP_ERROR,
		.sport = 0, .dport = 0, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 63, .tcp_flags = 0x00, .icmp_type = 3, .icmp_code = 3,
	},
	{
		.name = "v4 icmp time exceeded quoting tcp, cut to 28",
		.hex = "450000381c460000400181f30a00000164426e490b00bee5000000004500003c"
		"1c4640004006161064426e495db8d8229c4101bb3a1c5e01",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 1, .flags = FZGW_IP_F_ICMP_ERROR,
		.sport = 0, .dport = 0, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 11, .icmp_code = 0,
	},
	{
		.name = "v4 icmp unreachable, quote cut to 10",
		.hex = "450000261c464000400141010a00010564426e4903011b630000000045000044"
		"1c4640004011",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 1, .flags = FZGW_IP_F_ICMP_ERROR,
		.sport = 0, .dport = 0, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 3, .icmp_code = 1,
	},
	{
		.name = "v4 icmp frag needed quoting echo",
		.hex = "450000381c464000400140ef0a00010564426e490304c932000004b045000054"
		"1c464000400115fd64426e495db8d82208000ae71c2d0005",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 1, .flags = FZGW_IP_F_ICMP_ERROR,
		.sport = 0, .dport = 0, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 3, .icmp_code = 4,
	},
	{
		.name = "v4 icmp timestamp (no flags)",
		.hex = "450000281c4640004001162964426e495db8d8220d00f2f80003000400000000"
		"0000000000000000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 1, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 13, .icmp_code = 0,
	},
	{
		.name = "v4 icmp redirect (not an error we parse)",
		.hex = "450000381c464000400140ef0a00010564426e49050165690a00010145000044"
		"1c464000401140d364426e490a000105958100350030f4ad",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 1, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 5, .icmp_code = 1,
	},
	{
		.name = "v4 router alert option + tcp",
		.hex = "4600002c1c4640004006abf164426e490a0001059404000003e807d03a1c5e01"
		"000000005010faf0337e0000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 1000, .dport = 2000, .l3_len = 24, .l4_hdr_len = 20,
		.ttl = 64, .tcp_flags = 0x10, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 ihl 15 + udp",
		.hex = "4f0000451c464000401122bf64426e490a000105010101010101010101010101"
		"010101010101010101010101010101010101010101010101010101000009000a"
		"0009b13871",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 9, .dport = 10, .l3_len = 60, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 gre, no l4 checks",
		.hex = "450000191c464000402f40e064426e490a0001050000080045",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 47, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 20, .l4_hdr_len = 0,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 protocol 255, header only",
		.hex = "450000141c46400040ff401564426e490a000105",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 255, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 20, .l4_hdr_len = 0,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 ah + tcp",
		.hex = "450000401c464000403340b564426e490a000105060400000000100000000001"
		"aaaaaaaaaaaaaaaaaaaaaaaa01f401f53a1c5e01000000005002faf03b5b0000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 500, .dport = 501, .l3_len = 44, .l4_hdr_len = 20,
		.ttl = 64, .tcp_flags = 0x02, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 reserved flag bit set",
		.hex = "4500001d1c468000401100fa64426e490a000105000700070009bd3d65",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 7, .dport = 7, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 udp exactly 1280",
		.hex = "450005001c46400040113c1764426e490a0001051194119504ecde5c17",
		.pad = 1251,
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 4500, .dport = 4501, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 576 bytes with mtu 576",
		.hex = "450002401c46400040113ed764426e490a00010511941195022ce3dc17",
		.pad = 547,
		.mtu = 576,
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 4500, .dport = 4501, .l3_len = 20, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 ttl 0 still parses",
		.hex = "450000281c464000000680fa64426e490a000105000100013a1c5e0100000000"
		"5002faf03f420000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 4, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 1, .dport = 1, .l3_len = 20, .l4_hdr_len = 20,
		.ttl = 0, .tcp_flags = 0x02, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v4 1281 bytes",
		.hex = "450005011c46400040113c1664426e490a0001050001000204ed018117",
		.pad = 1252,
		.reason = FZGW_IP_ERR_TOO_LONG,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 600 bytes, mtu 576",
		.hex = "450002581c46400040113ebf64426e490a00010500010002024406d317",
		.pad = 571,
		.mtu = 576,
		.reason = FZGW_IP_ERR_TOO_LONG,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "empty",
		.hex = "",
		.reason = FZGW_IP_ERR_TOO_SHORT,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 19 bytes",
		.hex = "450000141c46400040ff401564426e490a0001",
		.reason = FZGW_IP_ERR_TOO_SHORT,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "version 5",
		.hex = "550000141c46400040ff401564426e490a000105",
		.reason = FZGW_IP_ERR_VERSION,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "version 0, one byte",
		.hex = "00",
		.reason = FZGW_IP_ERR_VERSION,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 ihl 4",
		.hex = "4400001c1c46400040ff410d64426e490a0001050000000000000000",
		.reason = FZGW_IP_ERR_V4_IHL,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 ihl 15 beyond 40 bytes",
		.hex = "4f0000281c46400040ff360164426e490a000105000000000000000000000000"
		"0000000000000000",
		.reason = FZGW_IP_ERR_V4_IHL,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 total length longer",
		.hex = "4500001f1c464000401140f864426e490a00010500010002000ac0e46162",
		.reason = FZGW_IP_ERR_V4_TOTAL_LEN,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 total length shorter (trailing pad)",
		.hex = "4500001e1c464000401140f964426e490a00010500010002000ac0e461620000",
		.reason = FZGW_IP_ERR_V4_TOTAL_LEN,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 more fragments",
		.hex = "450000241c462000401160f364426e490a00010500010002001090a561626364"
		"65666768",
		.reason = FZGW_IP_ERR_FRAGMENT,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 fragment offset",
		.hex = "4500001c1c460001401180fa64426e490a0001056162636465666768",
		.reason = FZGW_IP_ERR_FRAGMENT,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 tcp 19 bytes",
		.hex = "450000271c464000400640fb64426e490a000105000100023a1c5e0100000000"
		"5002faf03f4100",
		.reason = FZGW_IP_ERR_L4_TRUNCATED,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 tcp data offset 4",
		.hex = "450000281c464000400640fa64426e490a000105000100023a1c5e0100000000"
		"4002faf04f410000",
		.reason = FZGW_IP_ERR_TCP_OFFSET,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 tcp data offset beyond packet",
		.hex = "450000281c464000400640fa64426e490a000105000100023a1c5e0100000000"
		"6002faf02f410000",
		.reason = FZGW_IP_ERR_TCP_OFFSET,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 udp 7 bytes",
		.hex = "4500001b1c464000401140fc64426e490a00010500010002000822",
		.reason = FZGW_IP_ERR_L4_TRUNCATED,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 udp length too big",
		.hex = "4500001f1c464000401140f864426e490a00010500010002000c5de1616263",
		.reason = FZGW_IP_ERR_UDP_LEN,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 udp length too small",
		.hex = "4500001f1c464000401140f864426e490a0001050001000200085de5616263",
		.reason = FZGW_IP_ERR_UDP_LEN,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 icmp 7 bytes",
		.hex = "4500001b1c4640004001410c64426e490a0001050800f7ff000000",
		.reason = FZGW_IP_ERR_L4_TRUNCATED,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 carrying icmpv6",
		.hex = "4500001c1c464000403a40d264426e490a0001058000310300000000",
		.reason = FZGW_IP_ERR_ICMP_FAMILY,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 ah truncated",
		.hex = "450000241c464000403340d164426e490a000105060400000000100000000001"
		"aaaaaaaa",
		.reason = FZGW_IP_ERR_EXT_HEADER,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v4 ah shorter than 8",
		.hex = "450000181c464000403340dd64426e490a00010506040000",
		.reason = FZGW_IP_ERR_EXT_HEADER,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 tcp syn, linux options",
		.hex = "6000a2b300280640fd0020211111000000000000001e76582606280002200001"
		"0248189325c81946a32201bb3a1c5e0100000000a002fd2058c90000020404c4"
		"0402080a5b1e0c330000000001030307",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 41762, .dport = 443, .l3_len = 40, .l4_hdr_len = 40,
		.ttl = 64, .tcp_flags = 0x02, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 tcp psh ack with data",
		.hex = "6000a2b30035063426062800022000010248189325c81946fd00202111110000"
		"00000000001e765801bba3223a1c5e01000000015018faf0fff2000017030378"
		"7878787878787878787878787878787878787878787878787878787878",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 443, .dport = 41762, .l3_len = 40, .l4_hdr_len = 20,
		.ttl = 52, .tcp_flags = 0x18, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 udp dns query",
		.hex = "6000a2b300301140fd0020211111000000000000001e76582606280002200001"
		"0248189325c81946c4ec003500305419b7e10120000100000000000107657861"
		"6d706c6503636f6d00000100010000291000000000000000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 50412, .dport = 53, .l3_len = 40, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 udp checksum zero",
		.hex = "6000a2b3000b1140fd0020211111000000000000001e76582606280002200001"
		"0248189325c8194600010002000b000074756e",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS | FZGW_IP_F_UDP_CSUM0,
		.sport = 1, .dport = 2, .l3_len = 40, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 icmpv6 echo request (ping)",
		.hex = "6000a2b300403a40fd0020211111000000000000001e76582606280002200001"
		"0248189325c819468000bdd12b1f0001e2a1f46600000000a7fd0a0000000000"
		"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
		"3031323334353637",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 58, .flags = FZGW_IP_F_ICMP_ECHO,
		.sport = 11039, .dport = 11039, .l3_len = 40, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 128, .icmp_code = 0,
	},
	{
		.name = "v6 icmpv6 echo reply",
		.hex = "6000a2b300403a3226062800022000010248189325c81946fd00202111110000"
		"00000000001e76588100bcd12b1f0001e2a1f46600000000a7fd0a0000000000"
		"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
		"3031323334353637",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 58, .flags = FZGW_IP_F_ICMP_ECHO,
		.sport = 11039, .dport = 11039, .l3_len = 40, .l4_hdr_len = 8,
		.ttl = 50, .tcp_flags = 0x00, .icmp_type = 129, .icmp_code = 0,
	},
	{
		.name = "v6 port unreachable quoting udp",
		.hex = "6000a2b300603a4026062800022000010248189325c81946fd00202111110000"
		"00000000001e765801049bc4000000006000a2b300301140fd00202111110000"
		"00000000001e765826062800022000010248189325c81946c4ec003500305419"
		"b7e101200001000000000001076578616d706c6503636f6d0000010001000029"
		"1000000000000000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 58, .flags = FZGW_IP_F_ICMP_ERROR,
		.sport = 0, .dport = 0, .l3_len = 40, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 1, .icmp_code = 4,
	},
	{
		.name = "v6 packet too big quoting tcp, cut",
		.hex = "6000a2b304d83a4026062800022000010248189325c81946fd00202111110000"
		"00000000001e76580200ad56000005006000a2b305280640fd00202111110000"
		"00000000001e765826062800022000010248189325c81946a32201bb3a1c5e01"
		"000000005018faf0cebd00004444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444"
		"4444444444444444444444444444444444444444444444444444444444444444",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 58, .flags = FZGW_IP_F_ICMP_ERROR,
		.sport = 0, .dport = 0, .l3_len = 40, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 2, .icmp_code = 0,
	},
	{
		.name = "v6 time exceeded, quote cut to 20",
		.hex = "6000a2b3001c3a4026062800022000010248189325c81946fd00202111110000"
		"00000000001e765803006b98000000006000a2b300301140fd00202111110000"
		"00000000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 58, .flags = FZGW_IP_F_ICMP_ERROR,
		.sport = 0, .dport = 0, .l3_len = 40, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 3, .icmp_code = 0,
	},
	{
		.name = "v6 hop-by-hop + dest options + tcp",
		.hex = "6000a2b300240040fd0020211111000000000000001e76582606280002200001"
		"0248189325c819463c00010400000000060001040000000007d000163a1c5e01"
		"000000005002faf0c6340000",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 6, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 2000, .dport = 22, .l3_len = 56, .l4_hdr_len = 20,
		.ttl = 64, .tcp_flags = 0x02, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 atomic fragment + udp",
		.hex = "6000a2b300162c40fd0020211111000000000000001e76582606280002200001"
		"0248189325c819461100000012345678003514e9000e61b561746f6d6963",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 53, .dport = 5353, .l3_len = 48, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 routing header + udp",
		.hex = "6000a2b300202b40fd0020211111000000000000001e76582606280002200001"
		"0248189325c81946110200000000000026062800022000010248189325c81946"
		"000900090008b112",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 9, .dport = 9, .l3_len = 64, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 ah + icmpv6 echo",
		.hex = "6000a2b300203340fd0020211111000000000000001e76582606280002200001"
		"0248189325c819463a0400000000100000000001aaaaaaaaaaaaaaaaaaaaaaaa"
		"800030fe00040001",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 58, .flags = FZGW_IP_F_ICMP_ECHO,
		.sport = 4, .dport = 4, .l3_len = 64, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 128, .icmp_code = 0,
	},
	{
		.name = "v6 no next header",
		.hex = "6000a2b300003b40fd0020211111000000000000001e76582606280002200001"
		"0248189325c81946",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 59, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 40, .l4_hdr_len = 0,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 esp, no l4 checks",
		.hex = "6000a2b3000b3240fd0020211111000000000000001e76582606280002200001"
		"0248189325c819460000100000000001eeeeee",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 50, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 40, .l4_hdr_len = 0,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 in-tunnel control packet",
		.hex = "600000000034ff00000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000007b227265736f75726365223a2261222c"
		"22646f6d61696e223a2278222c2270726f78795f697073223a5b5d7d",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_CONTROL,
		.version = 6, .proto = 255, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 40, .l4_hdr_len = 0,
		.ttl = 0, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 next header 255, hop limit 1 (not control)",
		.hex = "6000a2b30034ff01000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000007b227265736f75726365223a2261222c"
		"22646f6d61696e223a2278222c2270726f78795f697073223a5b5d7d",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 255, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 40, .l4_hdr_len = 0,
		.ttl = 1, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 next header 255, source set (not control)",
		.hex = "6000a2b30034ff00fd0020211111000000000000001e76580000000000000000"
		"000000000000000000000000000000007b227265736f75726365223a2261222c"
		"22646f6d61696e223a2278222c2270726f78795f697073223a5b5d7d",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 255, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 40, .l4_hdr_len = 0,
		.ttl = 0, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 neighbour solicitation (no flags)",
		.hex = "6000a2b300183afffd0020211111000000000000001e7658ff02000000000000"
		"00000001ff00000187002bed0000000026062800022000010248189325c81946",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 58, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 40, .l4_hdr_len = 8,
		.ttl = 255, .tcp_flags = 0x00, .icmp_type = 135, .icmp_code = 0,
	},
	{
		.name = "v6 parameter problem (not an error we parse)",
		.hex = "6000a2b300383a4026062800022000010248189325c81946fd00202111110000"
		"00000000001e765804013061000000286000a2b300301140fd00202111110000"
		"00000000001e765826062800022000010248189325c81946c4ec003500305419",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 58, .flags = 0,
		.sport = 0, .dport = 0, .l3_len = 40, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 4, .icmp_code = 1,
	},
	{
		.name = "v6 eight extension headers",
		.hex = "6000a2b300483c40fd0020211111000000000000001e76582606280002200001"
		"0248189325c819463c000104000000003c000104000000003c00010400000000"
		"3c000104000000003c000104000000003c000104000000003c00010400000000"
		"1100010400000000000100020008b121",
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 1, .dport = 2, .l3_len = 104, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 1280 bytes",
		.hex = "6000a2b304d81140fd0020211111000000000000001e76582606280002200001"
		"0248189325c819460001000204d8a68101",
		.pad = 1231,
		.reason = FZGW_IP_OK,
		.kind = FZGW_IP_KIND_NORMAL,
		.version = 6, .proto = 17, .flags = FZGW_IP_F_HAS_PORTS,
		.sport = 1, .dport = 2, .l3_len = 40, .l4_hdr_len = 8,
		.ttl = 64, .tcp_flags = 0x00, .icmp_type = 0, .icmp_code = 0,
	},
	{
		.name = "v6 39 bytes",
		.hex = "6000a2b300003b40fd0020211111000000000000001e76582606280002200001"
		"0248189325c819",
		.reason = FZGW_IP_ERR_TOO_SHORT,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 payload length too big",
		.hex = "6000a2b300091140fd0020211111000000000000001e76582606280002200001"
		"0248189325c81946000100020008b121",
		.reason = FZGW_IP_ERR_V6_PAYLOAD_LEN,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 payload length too small",
		.hex = "6000a2b300071140fd0020211111000000000000001e76582606280002200001"
		"0248189325c81946000100020008b121",
		.reason = FZGW_IP_ERR_V6_PAYLOAD_LEN,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 control with wrong payload length",
		.hex = "6000a2b30008ff00000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000007b227265736f75726365223a2261222c"
		"22646f6d61696e223a2278222c2270726f78795f697073223a5b5d7d",
		.reason = FZGW_IP_ERR_V6_PAYLOAD_LEN,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 fragment offset",
		.hex = "6000a2b300102c40fd0020211111000000000000001e76582606280002200001"
		"0248189325c8194611000008123456786162636465666768",
		.reason = FZGW_IP_ERR_FRAGMENT,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 fragment more",
		.hex = "6000a2b300112c40fd0020211111000000000000001e76582606280002200001"
		"0248189325c819461100000112345678000100020009391f78",
		.reason = FZGW_IP_ERR_FRAGMENT,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 hop-by-hop after dest options",
		.hex = "6000a2b300183c40fd0020211111000000000000001e76582606280002200001"
		"0248189325c8194600000104000000001100010400000000000100020008b121",
		.reason = FZGW_IP_ERR_EXT_HEADER,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 dest options longer than packet",
		.hex = "6000a2b300103c40fd0020211111000000000000001e76582606280002200001"
		"0248189325c8194611030000000000000000000000000000",
		.reason = FZGW_IP_ERR_EXT_HEADER,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 extension header under 8 bytes",
		.hex = "6000a2b300043c40fd0020211111000000000000001e76582606280002200001"
		"0248189325c8194611000102",
		.reason = FZGW_IP_ERR_EXT_HEADER,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 nine extension headers",
		.hex = "6000a2b300503c40fd0020211111000000000000001e76582606280002200001"
		"0248189325c819463c000104000000003c000104000000003c00010400000000"
		"3c000104000000003c000104000000003c000104000000003c00010400000000"
		"3c000104000000001100010400000000000100020008b121",
		.reason = FZGW_IP_ERR_EXT_HEADER,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 carrying icmpv4",
		.hex = "6000a2b300080140fd0020211111000000000000001e76582606280002200001"
		"0248189325c819460800f7ff00000000",
		.reason = FZGW_IP_ERR_ICMP_FAMILY,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 tcp data offset 4",
		.hex = "6000a2b300140640fd0020211111000000000000001e76582606280002200001"
		"0248189325c81946000100023a1c5e01000000004002faf0de170000",
		.reason = FZGW_IP_ERR_TCP_OFFSET,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 tcp 12 bytes",
		.hex = "6000a2b3000c0640fd0020211111000000000000001e76582606280002200001"
		"0248189325c81946000100023a1c5e0100000000",
		.reason = FZGW_IP_ERR_L4_TRUNCATED,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 udp length mismatch",
		.hex = "6000a2b3000b1140fd0020211111000000000000001e76582606280002200001"
		"0248189325c8194600010002000aecb9616263",
		.reason = FZGW_IP_ERR_UDP_LEN,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 icmpv6 6 bytes",
		.hex = "6000a2b300063a40fd0020211111000000000000001e76582606280002200001"
		"0248189325c81946800031030000",
		.reason = FZGW_IP_ERR_L4_TRUNCATED,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 1281 bytes",
		.hex = "6000a2b304d91140fd0020211111000000000000001e76582606280002200001"
		"0248189325c819460001000204d9a67f01",
		.pad = 1232,
		.reason = FZGW_IP_ERR_TOO_LONG,
		.kind = FZGW_IP_KIND_INVALID,
	},
	{
		.name = "v6 udp 4 bytes after atomic fragment",
		.hex = "6000a2b3000c2c40fd0020211111000000000000001e76582606280002200001"
		"0248189325c81946110000001234567800010002",
		.reason = FZGW_IP_ERR_L4_TRUNCATED,
		.kind = FZGW_IP_KIND_INVALID,
	},
};

static size_t row_bytes(const struct row *r, uint8_t *buf, size_t cap)
{
	size_t n = pkt_hex(buf, cap, r->hex);

	assert_true(n + r->pad <= cap);
	memset(buf + n, 0, r->pad);
	return n + r->pad;
}

static void test_table(void **state)
{
	static uint8_t buf[2048];
	unsigned int n_ok = 0, n_bad = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		size_t len = row_bytes(r, buf, sizeof(buf));
		struct fzgw_ip v;
		int rc;

		memset(&v, 0xa5, sizeof(v));
		rc = fzgw_ip_parse(&v, buf, len, r->mtu ? r->mtu : FZGW_IP_MAX_SIZE);
		if (rc != r->reason || v.kind != r->kind)
			fail_msg("row \"%s\": reason %d (%s) kind %d, want %d kind %d", r->name, rc,
				 fzgw_ip_reason_name((unsigned int)rc), v.kind, r->reason, r->kind);
		assert_int_equal(v.reason, r->reason);
		if (r->kind == FZGW_IP_KIND_INVALID) {
			n_bad++;
			continue;
		}
		n_ok++;
		if (v.version != r->version || v.proto != r->proto || v.flags != r->flags ||
		    v.src_port != r->sport || v.dst_port != r->dport || v.l3_len != r->l3_len ||
		    v.l4_hdr_len != r->l4_hdr_len || v.ttl != r->ttl || v.tcp_flags != r->tcp_flags ||
		    v.icmp_type != r->icmp_type || v.icmp_code != r->icmp_code || v.len != len)
			fail_msg("row \"%s\": v%d proto %d flags %#x ports %d>%d l3 %d l4 %d ttl %d "
				 "tcp %#x icmp %d/%d len %d", r->name, v.version, v.proto, v.flags,
				 v.src_port, v.dst_port, v.l3_len, v.l4_hdr_len, v.ttl, v.tcp_flags,
				 v.icmp_type, v.icmp_code, v.len);
		assert_int_equal(v.src.family, r->version);
		assert_int_equal(v.dst.family, r->version);
		if (r->kind == FZGW_IP_KIND_NORMAL && !fzgw_csum_verify_all(buf, &v))
			fail_msg("row \"%s\": checksums do not verify", r->name);
		if (!(v.flags & FZGW_IP_F_ICMP_ERROR))
			assert_int_equal(v.inner.len + v.inner.off + v.inner.l3_len, 0);
	}
	assert_true(n_ok >= 30);
	assert_true(n_bad >= 30);
}

static const struct row *row_named(const char *name)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	fail_msg("no row \"%s\"", name);
	return NULL;
}

static void parse_row(const char *name, uint8_t *buf, size_t cap, struct fzgw_ip *v)
{
	size_t len = row_bytes(row_named(name), buf, cap);

	assert_int_equal(fzgw_ip_parse(v, buf, len, FZGW_IP_MAX_SIZE), 0);
}

static void test_addresses(void **state)
{
	static const uint8_t c4[16] = { 100, 66, 110, 73 };
	static const uint8_t r4[16] = { 10, 0, 1, 5 };
	uint8_t buf[1500];
	struct fzgw_ip v;
	struct fzgw_addr c6 = pkt_addr6("fd00202111110000 00000000001e7658");
	struct fzgw_addr r6 = pkt_addr6("2606280002200001 0248189325c81946");

	parse_row("v4 tcp syn, linux options", buf, sizeof(buf), &v);
	assert_memory_equal(v.src.bytes, c4, 16); /* the bytes after an IPv4 address are 0 */
	assert_memory_equal(v.dst.bytes, r4, 16);
	parse_row("v6 udp dns query", buf, sizeof(buf), &v);
	assert_memory_equal(&v.src, &c6, sizeof(c6));
	assert_memory_equal(&v.dst, &r6, sizeof(r6));
}

static void test_inner_v4_udp(void **state)
{
	uint8_t buf[1500];
	struct fzgw_ip v;
	struct fzgw_addr c4 = pkt_addr4(100, 66, 110, 73), r4 = pkt_addr4(10, 0, 1, 5);

	parse_row("v4 icmp port unreachable quoting udp", buf, sizeof(buf), &v);
	assert_int_equal(v.inner.off, 28);
	assert_int_equal(v.inner.len, v.len - 28);
	assert_int_equal(v.inner.l3_len, 20);
	assert_int_equal(v.inner.proto, 17);
	assert_int_equal(v.inner.has_ports, 1);
	assert_int_equal(v.inner.src_port, 38273);
	assert_int_equal(v.inner.dst_port, 53);
	assert_memory_equal(&v.inner.src, &c4, sizeof(c4));
	assert_memory_equal(&v.inner.dst, &r4, sizeof(r4));
}

static void test_inner_cut(void **state)
{
	uint8_t buf[1500];
	struct fzgw_ip v;

	/* IP header and 8 bytes: ports still there. */
	parse_row("v4 icmp time exceeded quoting tcp, cut to 28", buf, sizeof(buf), &v);
	assert_int_equal(v.inner.len, 28);
	assert_int_equal(v.inner.proto, 6);
	assert_int_equal(v.inner.has_ports, 1);
	assert_int_equal(v.inner.src_port, 40001);
	assert_int_equal(v.inner.dst_port, 443);

	/* A quote shorter than the IP header has no addresses and no protocol. */
	parse_row("v4 icmp unreachable, quote cut to 10", buf, sizeof(buf), &v);
	assert_int_equal(v.flags, FZGW_IP_F_ICMP_ERROR);
	assert_int_equal(v.inner.len, 10);
	assert_int_equal(v.inner.l3_len, 0);
	assert_int_equal(v.inner.src.family, 0);
	assert_int_equal(v.inner.has_ports, 0);

	parse_row("v6 time exceeded, quote cut to 20", buf, sizeof(buf), &v);
	assert_int_equal(v.inner.off, 48);
	assert_int_equal(v.inner.len, 20);
	assert_int_equal(v.inner.l3_len, 0);
	assert_int_equal(v.inner.dst.family, 0);
}

static void test_inner_echo_and_v6(void **state)
{
	uint8_t buf[1500];
	struct fzgw_ip v;

	parse_row("v4 icmp frag needed quoting echo", buf, sizeof(buf), &v);
	assert_int_equal(v.inner.proto, 1);
	assert_int_equal(v.inner.has_ports, 1);
	assert_int_equal(v.inner.src_port, 0x1c2d);
	assert_int_equal(v.inner.dst_port, 0x1c2d);

	parse_row("v6 port unreachable quoting udp", buf, sizeof(buf), &v);
	assert_int_equal(v.inner.off, 48);
	assert_int_equal(v.inner.l3_len, 40);
	assert_int_equal(v.inner.proto, 17);
	assert_int_equal(v.inner.src.family, 6);
	assert_int_equal(v.inner.src_port, 50412);
	assert_int_equal(v.inner.dst_port, 53);

	parse_row("v6 packet too big quoting tcp, cut", buf, sizeof(buf), &v);
	assert_int_equal(v.len, 1280);
	assert_int_equal(v.inner.len, 1232);
	assert_int_equal(v.inner.proto, 6);
	assert_int_equal(v.inner.src_port, 41762);
}

/* Quoted packets are parsed leniently: a broken quote never rejects the error itself. */
static void test_inner_lenient(void **state)
{
	struct fzgw_addr a = pkt_addr4(10, 0, 0, 1), b = pkt_addr4(10, 0, 0, 2);
	uint8_t l4[64] = { 3, 3 }, buf[128];
	struct fzgw_ip v;
	size_t len;

	/* quoted IPv4 fragment (offset != 0): addresses but no ports */
	memset(l4 + 8, 0, 28);
	l4[8] = 0x45;
	l4[8 + 6] = 0x00;
	l4[8 + 7] = 0x10;
	l4[8 + 9] = 17;
	memcpy(l4 + 8 + 12, b.bytes, 4);
	memcpy(l4 + 8 + 16, a.bytes, 4);
	len = pkt_build(buf, 4, 1, &a, &b, l4, 36);
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_int_equal(v.inner.l3_len, 20);
	assert_int_equal(v.inner.has_ports, 0);
	assert_int_equal(v.inner.src.family, 4);

	/* quoted IPv6 inside ICMPv4: nothing usable */
	l4[8] = 0x60;
	len = pkt_build(buf, 4, 1, &a, &b, l4, 48);
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_int_equal(v.flags, FZGW_IP_F_ICMP_ERROR);
	assert_int_equal(v.inner.l3_len, 0);
	assert_int_equal(v.inner.src.family, 0);

	/* quoted IHL 15 cut after 20 bytes: addresses, no header length */
	l4[8] = 0x4f;
	l4[8 + 7] = 0;
	len = pkt_build(buf, 4, 1, &a, &b, l4, 28);
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_int_equal(v.inner.l3_len, 0);
	assert_int_equal(v.inner.src.family, 4);
	assert_int_equal(v.inner.has_ports, 0);

	/* an error with no quote at all */
	len = pkt_build(buf, 4, 1, &a, &b, l4, 8);
	assert_int_equal(fzgw_ip_parse(&v, buf, len, 1280), 0);
	assert_int_equal(v.inner.off, 28);
	assert_int_equal(v.inner.len, 0);
}

static void test_limits(void **state)
{
	static uint8_t big[70000];
	struct fzgw_ip v;

	/* No MTU lets a packet past what the 16-bit view can describe. */
	big[0] = 0x60;
	big[4] = 0xff;
	big[5] = 0xff;
	big[6] = 59;
	assert_int_equal(fzgw_ip_parse(&v, big, 65575, SIZE_MAX), FZGW_IP_ERR_TOO_LONG);
	assert_int_equal(v.kind, FZGW_IP_KIND_INVALID);
	big[4] = 0xff;
	big[5] = 0xd7;
	assert_int_equal(fzgw_ip_parse(&v, big, 65535, SIZE_MAX), 0);
	assert_int_equal(v.len, 65535);
	assert_int_equal(fzgw_ip_parse(&v, big, 65535, 65534), FZGW_IP_ERR_TOO_LONG);
	assert_int_equal(fzgw_ip_parse(&v, big, 0, 1280), FZGW_IP_ERR_TOO_SHORT);
}

static void test_reason_names(void **state)
{
	for (unsigned int r = 0; r < FZGW_IP_REASON_COUNT; r++) {
		assert_non_null(fzgw_ip_reason_name(r));
		assert_string_not_equal(fzgw_ip_reason_name(r), "?");
		for (unsigned int s = 0; s < r; s++)
			assert_string_not_equal(fzgw_ip_reason_name(r), fzgw_ip_reason_name(s));
	}
	assert_string_equal(fzgw_ip_reason_name(FZGW_IP_ERR_FRAGMENT), "fragment");
	assert_string_equal(fzgw_ip_reason_name(FZGW_IP_REASON_COUNT), "?");
}

/* test_ip_parse --write-corpus DIR: writes every row as a seed for fuzz_ip_packet. */
static int write_corpus(const char *dir)
{
	static uint8_t buf[2048];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = row_bytes(&rows[i], buf, sizeof(buf));
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/table-%03zu", dir, i);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, len, f) != len) {
			perror(path);
			if (f)
				fclose(f);
			return 1;
		}
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_inner_v4_udp),
		cmocka_unit_test(test_inner_cut),
		cmocka_unit_test(test_inner_echo_and_v6),
		cmocka_unit_test(test_inner_lenient),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_reason_names),
	};

	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
		return write_corpus(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
