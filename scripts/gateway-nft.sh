#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The operator's host set-up for firezone-gateway, with nftables: what the original gateway's
# init script does with iptables. Run it as root before the gateway starts (systemd ExecStartPre).
#
#   gateway-nft.sh [TUN]            set up (TUN defaults to tun-firezone, the gateway.tun.name default)
#   gateway-nft.sh --remove [TUN]   undo: delete the table, put back the sysctls saved by the set-up
#   gateway-nft.sh --status         print the table and the sysctls
#
# Set-up:
#   - sysctls: net.ipv4.ip_forward=1, net.ipv6.conf.all.forwarding=1,
#     net.ipv6.conf.default.forwarding=1, net.ipv4.conf.all.src_valid_mark=1
#     (their previous values are saved once, for --remove);
#   - one nftables table, "inet firezone-gateway", replaced atomically on every run (idempotent):
#     input: from the TUN only ICMP echo requests and replies to the host's own connections
#     reach the host (clients never reach its services, on any of its addresses);
#     forward: accept packets coming in from or going out to the TUN;
#     postrouting: masquerade 100.64.0.0/11 and fd00:2021:1111::/107 leaving through any
#     interface other than the TUN.
# Env: FZGW_NFT_STATE  file for the saved sysctls (default /run/firezone-gateway/nft-sysctl.saved);
#      FZGW_NFT_TABLE  table name (default firezone-gateway).
set -euo pipefail

TABLE=${FZGW_NFT_TABLE:-firezone-gateway}
STATE=${FZGW_NFT_STATE:-/run/firezone-gateway/nft-sysctl.saved}
V4_TUNNEL=100.64.0.0/11
V6_TUNNEL=fd00:2021:1111::/107
SYSCTLS=(net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv6.conf.default.forwarding
         net.ipv4.conf.all.src_valid_mark)

usage() { # usage [EXIT]: to stdout for --help, to stderr for a usage error
  if [ "${1:-64}" = 0 ]; then sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
  sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-64}"
}
die() { echo "gateway-nft.sh: $*" >&2; exit 1; }

action=setup
case "${1:-}" in
  --remove) action=remove; shift ;;
  --status) action=status; shift ;;
  -h|--help) usage 0 ;;
  -*) echo "gateway-nft.sh: unknown option $1" >&2; usage ;;
esac
[ $# -le 1 ] || usage
TUN=${1:-tun-firezone}
# an interface name: 1..15 characters, no quotes, blanks or slashes (it is put into nft rules)
[[ "$TUN" =~ ^[A-Za-z0-9_.:@+-]{1,15}$ ]] || die "bad interface name \"$TUN\" (at most 15 of A-Z a-z 0-9 _ . : @ + -)"
[[ "$TABLE" =~ ^[A-Za-z0-9_-]{1,64}$ ]] || die "bad table name \"$TABLE\""
[ "$(id -u)" = 0 ] || die "needs root (CAP_NET_ADMIN and /proc/sys write access)"
command -v nft >/dev/null || die "nft not found (Debian: apt-get install nftables)"

# sysctl NAME -> its /proc/sys path; absent when the family is disabled (no IPv6 in the kernel)
sysctl_path() { echo "/proc/sys/${1//.//}"; }

save_sysctls() {
  [ -s "$STATE" ] && return 0 # saved by an earlier run: keep the values from before the first one
  mkdir -p "$(dirname "$STATE")"
  local s p tmp="$STATE.tmp.$$"
  : >"$tmp"
  for s in "${SYSCTLS[@]}"; do
    p=$(sysctl_path "$s")
    [ -r "$p" ] && echo "$s=$(cat "$p")" >>"$tmp"
  done
  mv -f "$tmp" "$STATE"
}

set_sysctl() { # set_sysctl NAME VALUE: warn (not fail) when the key does not exist
  local p; p=$(sysctl_path "$1")
  if [ -w "$p" ]; then echo "$2" >"$p"; else echo "gateway-nft.sh: warning: no sysctl $1 here, skipped" >&2; fi
}

setup() {
  save_sysctls
  set_sysctl net.ipv4.ip_forward 1
  set_sysctl net.ipv4.conf.all.src_valid_mark 1
  set_sysctl net.ipv6.conf.all.forwarding 1
  set_sysctl net.ipv6.conf.default.forwarding 1
  # One transaction: create the table if missing, delete it, create it again with the rules.
  # Either everything is applied or nothing changes; re-running replaces the rules.
  nft -f - <<EOF
table inet $TABLE
delete table inet $TABLE
table inet $TABLE {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$TUN" ct state established,related accept
    iifname "$TUN" icmp type echo-request accept
    iifname "$TUN" icmpv6 type echo-request accept
    iifname "$TUN" counter drop
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "$TUN" accept
    oifname "$TUN" accept
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname != "$TUN" ip saddr $V4_TUNNEL masquerade
    oifname != "$TUN" ip6 saddr $V6_TUNNEL masquerade
  }
}
EOF
  # An accept here does not override a drop in another table (iptables-nft, Docker, ufw, a
  # distribution's firewall): say so when the forward path is closed elsewhere.
  # (grep reads to the end: "grep -q" leaving early could kill iptables with SIGPIPE on a long
  # chain, and pipefail would then hide the warning)
  if command -v iptables >/dev/null 2>&1 && iptables -S FORWARD 2>/dev/null | grep '^-P FORWARD DROP' >/dev/null; then
    echo "gateway-nft.sh: warning: iptables FORWARD policy is DROP; also run:" >&2
    echo "  iptables -I FORWARD -i $TUN -j ACCEPT; iptables -I FORWARD -o $TUN -j ACCEPT" >&2
  fi
  echo "gateway-nft.sh: table inet $TABLE set up for TUN $TUN (input: echo only; forward + masquerade of $V4_TUNNEL, $V6_TUNNEL)"
}

remove() {
  if nft list table inet "$TABLE" >/dev/null 2>&1; then
    nft delete table inet "$TABLE"
    echo "gateway-nft.sh: table inet $TABLE deleted"
  else
    echo "gateway-nft.sh: no table inet $TABLE"
  fi
  if [ -s "$STATE" ]; then
    local line
    while IFS= read -r line; do
      [[ "$line" =~ ^([a-z0-9_.]+)=([0-9]+)$ ]] || continue
      set_sysctl "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    done <"$STATE"
    rm -f "$STATE"
    echo "gateway-nft.sh: sysctls restored to their values before the set-up"
  fi
}

status() {
  local s p
  nft list table inet "$TABLE" 2>/dev/null || echo "no table inet $TABLE"
  for s in "${SYSCTLS[@]}"; do
    p=$(sysctl_path "$s")
    [ -r "$p" ] && echo "$s = $(cat "$p")"
  done
  return 0
}

"$action"
