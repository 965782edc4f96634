#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop of the WireGuard engine with wireguard-go: two network namespaces joined by a veth,
# wireguard-go in one, fzgw_wg_probe in the other; handshakes in both directions, with and
# without a preshared key, and ICMP echo through the tunnel each time.
# Exit 0 on success, 77 when it cannot run here (not root, no namespaces, no wireguard-go).
#
# usage: wg_interop.sh PROBE [RECORD_FILE]
#   RECORD_FILE: also record a deterministic run (fixed keys from WG_INTEROP_KEY_A/B,
#   seed 1, wall clock 2026-01-01) for the offline vector test.
set -u

PROBE=${1:?usage: wg_interop.sh PROBE [RECORD_FILE]}
RECORD=${2:-}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
for tool in ip wg wireguard-go ping; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool not found"
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

tag=$$
NSA=fzwg-a-$tag          # wireguard-go side
NSB=fzwg-b-$tag          # probe side
IFW=wgp$tag              # wireguard-go TUN; unique because its UAPI socket path is global
VA=fzva$tag
VB=fzvb$tag
GO_PORT=51820
PROBE_PORT=51821
TMP=$(mktemp -d)
GO_PID=

cleanup() {
	[ -n "$GO_PID" ] && kill "$GO_PID" 2>/dev/null && wait "$GO_PID" 2>/dev/null
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -f "/var/run/wireguard/$IFW.sock"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NSA" 2>/dev/null || skip "cannot create network namespaces"
ip netns add "$NSB" || exit 1
ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" || exit 1
ip -n "$NSA" addr add 192.0.2.1/24 dev "$VA"
ip -n "$NSB" addr add 192.0.2.2/24 dev "$VB"
ip -n "$NSA" link set lo up
ip -n "$NSB" link set lo up
ip -n "$NSA" link set "$VA" up
ip -n "$NSB" link set "$VB" up

KA=${WG_INTEROP_KEY_A:-$(wg genkey)}
KB=${WG_INTEROP_KEY_B:-$(wg genkey)}
PA=$(echo "$KA" | wg pubkey)
PB=$(echo "$KB" | wg pubkey)
PSK=$(wg genpsk)
echo "$KA" >"$TMP/ka"
echo "$PSK" >"$TMP/psk"

ip netns exec "$NSA" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$IFW" \
	>"$TMP/wireguard-go.log" 2>&1 &
GO_PID=$!
for _ in $(seq 50); do
	[ -S "/var/run/wireguard/$IFW.sock" ] && break
	sleep 0.1
done
[ -S "/var/run/wireguard/$IFW.sock" ] || { cat "$TMP/wireguard-go.log"; exit 1; }
ip netns exec "$NSA" wg set "$IFW" private-key "$TMP/ka" listen-port $GO_PORT || exit 1
ip -n "$NSA" addr add 10.99.0.1/24 dev "$IFW"
ip -n "$NSA" link set "$IFW" up

# A fresh peer each time, so wireguard-go forgets sessions and timestamps.
set_peer() { # [psk] [endpoint]
	local args=(peer "$PB" allowed-ips 10.99.0.2/32)
	ip netns exec "$NSA" wg set "$IFW" peer "$PB" remove
	[ "$1" = psk ] && args+=(preshared-key "$TMP/psk")
	[ -n "${2:-}" ] && args+=(endpoint "$2")
	ip netns exec "$NSA" wg set "$IFW" "${args[@]}"
}

probe() { # mode [probe args...]
	local mode=$1
	shift
	ip netns exec "$NSB" "$PROBE" --mode "$mode" --key "$KB" --peer "$PA" \
		--listen 192.0.2.2:$PROBE_PORT --tunnel-src 10.99.0.2 --tunnel-dst 10.99.0.1 "$@"
}

fail=0
run_initiator() { # name psk|nopsk [probe args...]
	local name=$1 psk=$2
	shift 2
	set_peer "$psk"
	local extra=()
	[ "$psk" = psk ] && extra=(--psk "$PSK")
	if probe initiator --endpoint 192.0.2.1:$GO_PORT "${extra[@]}" "$@"; then
		echo "PASS: $name"
	else
		echo "FAIL: $name"
		fail=1
	fi
}

run_responder() { # name psk|nopsk
	local name=$1 psk=$2 extra=() ppid prc
	set_peer "$psk" 192.0.2.2:$PROBE_PORT
	[ "$psk" = psk ] && extra=(--psk "$PSK")
	probe responder --count 3 --timeout 20 "${extra[@]}" &
	ppid=$!
	sleep 0.3
	# wireguard-go initiates because of this ping.
	ip netns exec "$NSA" ping -c 3 -i 0.3 -W 5 -q 10.99.0.2
	local pingrc=$?
	wait $ppid
	prc=$?
	if [ $pingrc = 0 ] && [ $prc = 0 ]; then
		echo "PASS: $name"
	else
		echo "FAIL: $name (ping $pingrc, probe $prc)"
		fail=1
	fi
}

if [ -n "$RECORD" ]; then
	run_initiator "recorded initiator run" nopsk --count 1 --timeout 10 \
		--record "$RECORD" --seed 1 --wall 1767225600
	echo "private key (probe side): $KB"
	echo "public key (wireguard-go side): $PA"
fi
run_initiator "probe initiates, no psk, 3 pings" nopsk --count 3 --timeout 15
run_responder "wireguard-go initiates, no psk, 3 pings" nopsk
run_initiator "probe initiates, psk, 3 pings" psk --count 3 --timeout 15
run_responder "wireguard-go initiates, psk, 3 pings" psk

ip netns exec "$NSA" wg show "$IFW" >"$TMP/show" 2>&1
if [ $fail != 0 ]; then
	echo "--- wireguard-go log"
	cat "$TMP/wireguard-go.log"
	cat "$TMP/show"
fi
exit $fail
