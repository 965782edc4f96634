# SPDX-License-Identifier: Apache-2.0
# Network-namespace topology for the integration tests, the bench and the demo. Source it (bash).
#
#               "internet" 198.51.100.0/24: bridge br0 in the L2-only namespace fzi-ID-inet
#   fzi-ID-c0   inet0 198.51.100.2   wireguard-go client 0, TUN fziIDc0, 100.64.0.2 fd00:2021:1111::2
#   fzi-ID-c1   inet0 198.51.100.11  wireguard-go client 1 (preshared key), TUN fziIDc1, 100.64.0.3 ...::3
#   fzi-ID-gw   inet0 198.51.100.1   the gateway (ours, or wireguard-go), TUN fziIDgw, UDP 51820
#               lan0  10.200.0.1/24 2001:db8:200::1/64 ── lan0 10.200.0.10/24 2001:db8:200::10/64  fzi-ID-res
#   fzi-ID-res  HTTP :8080 (/1M.bin, /index.html), iperf3 -s :5201 and :5202, UDP listener :9999
#               No default route there: replies reach 100.64.0.0/11 only through the gateway's
#               masquerade (scripts/gateway-nft.sh), so every passing test also shows NAT works.
#
# ID is random per run, so two runs (or the harness's fz* namespaces) never collide; wireguard-go's
# UAPI socket /var/run/wireguard/IF.sock is global, hence the ID in every TUN name too.
#
#   fzi_require             exit 77 (skip) with a message unless root, tools and namespaces are there
#   fzi_init                state dir $FZI_STATE (mktemp -d), names, traps: fzi_cleanup on exit
#   fzi_topo_up             namespaces inet, gw, res, the links, the servers on the resource host
#   fzi_keys N              wg keys for the gateway and clients 0..N-1 (+ a PSK for FZI_PSK_CLIENTS)
#   fzi_gateway_conf N      writes $FZI_STATE/gateway.conf (static + filter) for N clients
#   fzi_gateway_up N        scripts/gateway-nft.sh in the gateway namespace, then the gateway:
#                           FZGW_GATEWAY=ours (default: $FZGW_BIN --config ... --module-path $MOD_DIR)
#                           or FZGW_GATEWAY=wireguard-go; waits for its TUN. PID in $FZI_GW_PID.
#   fzi_client_up N         wireguard-go client N in fzi-ID-cN
#   fzi_warmup N            pings the resource from client N until one answer (bounded): handshake
#   fzi_start NAME NS CMD.. a background process inside NS, recorded and killed by fzi_cleanup
#   fzi_stop NAME           SIGTERM to that recorded process, SIGKILL after 3 s
#   fzi_cleanup             kills every recorded process, deletes every fzi-ID-* namespace, the
#                           UAPI sockets and $FZI_STATE (kept when FZI_KEEP=1)
# Env: FZGW_GATEWAY, FZGW_BIN, MOD_DIR, FZI_PSK_CLIENTS (default "1"), FZI_LOG_LEVEL (gateway log
# level, default info), FZI_WORKERS (gateway.workers; unset: not written, the default),
# FZI_KEEP=1 keeps the state dir (logs, config) for a look after a failure.

# shellcheck source=checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
FZI_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FZI_REPO=$(cd "$FZI_LIB/../../.." && pwd)
FZI_PY=/usr/bin/python3
FZI_PKT="$FZI_LIB/pkt.py"

FZI_GW_INET=198.51.100.1
FZI_GW_LAN=10.200.0.1
FZI_RES_LAN=10.200.0.10
FZI_LAN=10.200.0.0/24
FZI_GW_LAN6=2001:db8:200::1
FZI_RES_LAN6=2001:db8:200::10
FZI_LAN6=2001:db8:200::/64
FZI_GW_TUN4=100.64.0.1
FZI_GW_TUN6=fd00:2021:1111::1
FZI_TUN4_PFX=100.64.0.0/11
FZI_TUN6_PFX=fd00:2021:1111::/107
FZI_WG_PORT=51820
FZI_MTU=1420
FZI_HTTP_PORT=8080
FZI_UDP_PORT=9999

fzi_client_inet() { [ "${1:-0}" = 0 ] && echo 198.51.100.2 || echo "198.51.100.$((10 + $1))"; }
fzi_client_roam() { echo "198.51.100.$((30 + ${1:-0}))"; } # a second address on the segment
fzi_client_tun4() { echo "100.64.0.$((2 + ${1:-0}))"; }
fzi_client_tun6() { printf 'fd00:2021:1111::%x\n' $((2 + ${1:-0})); }
fzi_ns() { echo "fzi-$FZI_ID-$1"; }              # fzi_ns gw|res|inet|c0|c1
fzi_client_if() { echo "fzi${FZI_ID}c${1:-0}"; }
fzi_gw_tun() { echo "fzi${FZI_ID}gw"; }
fzi_client_psk() { # prints the PSK file of client N if it uses one
  local n
  for n in ${FZI_PSK_CLIENTS-1}; do [ "$n" = "$1" ] && { echo "$FZI_STATE/client$1.psk"; return 0; }; done
  return 0
}

fzi_log() { echo "# $*" >&2; }
fzi_skip() { echo "SKIP: $*"; exit 77; }

# fzi_require [extra-command...]: skip (exit 77) when this box cannot run the topology
fzi_require() {
  [ "$(id -u)" = 0 ] || fzi_skip "needs root (network namespaces, TUN devices, nftables)"
  local c missing=()
  for c in ip wg wireguard-go nft iperf3 ping sha256sum timeout "$@"; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [ -x "$FZI_PY" ] || missing+=("$FZI_PY")
  [ ${#missing[@]} = 0 ] ||
    fzi_skip "missing ${missing[*]} (scripts/lib/deps.sh NET_PACKAGES; scripts/test.sh installs them)"
  [ -c /dev/net/tun ] || fzi_skip "no /dev/net/tun"
  local probe="fzi-probe-$$"
  ip netns add "$probe" 2>/dev/null || fzi_skip "cannot create network namespaces here"
  if ! ip -n "$probe" link add br0 type bridge 2>/dev/null ||
     ! ip netns exec "$probe" nft list tables >/dev/null 2>&1; then
    ip netns del "$probe"; fzi_skip "namespaces lack bridges or nftables"
  fi
  ip netns del "$probe"
}

fzi_init() {
  fzi_sweep_stale
  FZI_STATE=$(mktemp -d "${TMPDIR:-/tmp}/fzi.XXXXXX")
  chmod 0700 "$FZI_STATE"
  FZI_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  FZI_CLEANED=0
  FZI_PIDS_SEEN=()
  : >"$FZI_STATE/pids"
  echo "$FZI_ID $$ $(fzi_starttime $$)" >"$FZI_STATE/owner"
  mkdir -p "$FZI_STATE/www"
  trap fzi_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

fzi_starttime() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}' || echo -; }

# fzi_sweep_stale: what an earlier run left because it was killed outright (SIGKILL, a ctest
# timeout) before its trap ran: its state dir names its owner; if that shell is gone, its
# recorded processes are killed and its fzi-ID-* namespaces deleted. Runs in progress are kept.
fzi_sweep_stale() {
  local d id pid st entries ns
  for d in "${TMPDIR:-/tmp}"/fzi.*; do
    [ -f "$d/owner" ] || continue
    read -r id pid st <"$d/owner" || continue
    [[ "$id" =~ ^[0-9a-f]{6}$ ]] || continue
    fzi_pid_alive "$pid" "$st" && continue
    mapfile -t entries < <(awk '{print $2 " " $3}' "$d/pids" 2>/dev/null)
    [ ${#entries[@]} -gt 0 ] && fzi_kill_list "${entries[@]}"
    for ns in $(ip netns list 2>/dev/null | awk -v p="fzi-$id-" 'index($1, p) == 1 {print $1}'); do
      ip netns del "$ns"
    done
    rm -f /var/run/wireguard/fzi"$id"*.sock
    rm -rf "$d"
    echo "# removed what a killed earlier run (fzi-$id-*) had left" >&2
  done
  return 0
}

# fzi_start NAME NS CMD...: CMD runs inside NS in the background; `ip netns exec` and `env` exec,
# so $! is CMD's own PID. Log: $FZI_STATE/NAME.log.
fzi_start() {
  local name=$1 ns=$2 pid; shift 2
  ip netns exec "$ns" "$@" >"$FZI_STATE/$name.log" 2>&1 </dev/null &
  pid=$!
  echo "$name $pid $(fzi_starttime $pid)" >>"$FZI_STATE/pids"
}
fzi_pid() { awk -v n="$1" '$1 == n {p = $2} END {print p}' "$FZI_STATE/pids"; }

# the PID is ours only if its start time still matches (no signal to a recycled PID)
fzi_pid_alive() { [ -n "$2" ] && [ "$(fzi_starttime "$1")" = "$2" ]; }

fzi_kill_list() { # fzi_kill_list "PID START"...: SIGTERM, up to 3 s, then SIGKILL
  local e pid st i alive
  for e in "$@"; do
    read -r pid st <<<"$e"
    fzi_pid_alive "$pid" "$st" && kill "$pid" 2>/dev/null
  done
  for i in $(seq 1 30); do
    alive=0
    for e in "$@"; do read -r pid st <<<"$e"; fzi_pid_alive "$pid" "$st" && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for e in "$@"; do
    read -r pid st <<<"$e"
    fzi_pid_alive "$pid" "$st" && kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true # reap our child; its status (143) is no error here
  done
  return 0
}

fzi_stop() {
  local name=$1 line
  line=$(awk -v n="$name" '$1 == n {l = $2 " " $3} END {print l}' "$FZI_STATE/pids")
  [ -n "$line" ] || return 0
  fzi_kill_list "$line"
  awk -v n="$name" '$1 != n' "$FZI_STATE/pids" >"$FZI_STATE/pids.tmp" && mv "$FZI_STATE/pids.tmp" "$FZI_STATE/pids"
}

fzi_cleanup() {
  local ns entries=() errexit=0
  [ -n "${FZI_STATE:-}" ] && [ "${FZI_CLEANED:-0}" = 0 ] || return 0
  FZI_CLEANED=1
  case $- in *e*) errexit=1; set +e ;; esac # clean up everything, whatever fails on the way
  if [ -f "$FZI_STATE/pids" ]; then
    mapfile -t entries < <(awk '{print $2 " " $3}' "$FZI_STATE/pids" | tac)
    FZI_PIDS_SEEN=("${entries[@]}")
    [ ${#entries[@]} -gt 0 ] && fzi_kill_list "${entries[@]}"
  fi
  for ns in $(ip netns list 2>/dev/null | awk -v p="fzi-$FZI_ID-" 'index($1, p) == 1 {print $1}'); do
    ip netns del "$ns"
  done
  rm -f /var/run/wireguard/fzi"$FZI_ID"*.sock
  if [ "${FZI_KEEP:-0}" = 1 ]; then
    rm -f "$FZI_STATE/owner" # nothing left to sweep: later runs leave the directory alone
    echo "# state kept in $FZI_STATE" >&2
  else
    rm -rf "$FZI_STATE"
  fi
  [ $errexit = 1 ] && set -e
  return 0
}

# fzi_leftovers: after fzi_cleanup, prints what is left of this run (namespaces, live processes,
# UAPI sockets); empty = clean
fzi_leftovers() {
  ip netns list 2>/dev/null | awk -v p="fzi-$FZI_ID-" 'index($1, p) == 1 {print "netns " $1}'
  ls /var/run/wireguard/fzi"$FZI_ID"*.sock 2>/dev/null | sed 's/^/socket /'
  local e pid st
  for e in "${FZI_PIDS_SEEN[@]}"; do
    read -r pid st <<<"$e"
    fzi_pid_alive "$pid" "$st" && echo "process $pid"
  done
  return 0
}

fzi_ns_add() { # fzi_ns_add SHORT: a namespace with lo up and no IPv6 DAD (addresses usable at once)
  local ns; ns=$(fzi_ns "$1")
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# fzi_attach_inet SHORT ADDR/LEN: veth inet0 in fzi-ID-SHORT, its peer p-SHORT on the bridge
fzi_attach_inet() {
  local ns; ns=$(fzi_ns "$1")
  ip link add inet0 netns "$ns" type veth peer name "p-$1" netns "$(fzi_ns inet)"
  ip -n "$(fzi_ns inet)" link set "p-$1" master br0 up
  ip -n "$ns" addr add "$2" dev inet0
  ip -n "$ns" link set inet0 up
}

# fzi_wait_port NS tcp|udp PORT [SECONDS]: until something listens there
fzi_wait_port() {
  local i flag=-ltn; [ "$2" = udp ] && flag=-lun
  for i in $(seq 1 $((${4:-5} * 10))); do
    ip netns exec "$1" ss -H $flag "sport = :$3" 2>/dev/null | fzi_match . && return 0
    sleep 0.1
  done
  fzi_log "nothing listens on $2 port $3 in $1"
  return 1
}

fzi_topo_up() {
  local s
  for s in inet gw res; do fzi_ns_add $s; done
  ip -n "$(fzi_ns inet)" link add br0 type bridge
  ip -n "$(fzi_ns inet)" link set br0 up
  fzi_attach_inet gw "$FZI_GW_INET/24"
  ip link add lan0 netns "$(fzi_ns gw)" type veth peer name lan0r netns "$(fzi_ns res)"
  ip -n "$(fzi_ns res)" link set lan0r name lan0
  ip -n "$(fzi_ns gw)" addr add "$FZI_GW_LAN/24" dev lan0
  ip -n "$(fzi_ns gw)" addr add "$FZI_GW_LAN6/64" dev lan0
  ip -n "$(fzi_ns gw)" link set lan0 up
  ip -n "$(fzi_ns res)" addr add "$FZI_RES_LAN/24" dev lan0
  ip -n "$(fzi_ns res)" addr add "$FZI_RES_LAN6/64" dev lan0
  ip -n "$(fzi_ns res)" link set lan0 up
  # the resource host: a 1 MiB random file and a page over HTTP, iperf3, a UDP listener
  head -c 1048576 /dev/urandom >"$FZI_STATE/www/1M.bin"
  echo "hello from the resource host $FZI_RES_LAN" >"$FZI_STATE/www/index.html"
  FZI_WWW_SHA=$(sha256sum "$FZI_STATE/www/1M.bin" | cut -d' ' -f1)
  : >"$FZI_STATE/udp.log"
  fzi_start http "$(fzi_ns res)" "$FZI_PY" -m http.server "$FZI_HTTP_PORT" --bind "$FZI_RES_LAN" --directory "$FZI_STATE/www"
  fzi_start iperf3a "$(fzi_ns res)" iperf3 -s -B "$FZI_RES_LAN" -p 5201
  fzi_start iperf3b "$(fzi_ns res)" iperf3 -s -B "$FZI_RES_LAN" -p 5202
  fzi_start udplisten "$(fzi_ns res)" "$FZI_PY" "$FZI_PKT" udp-listen "$FZI_RES_LAN" "$FZI_UDP_PORT" "$FZI_STATE/udp.log"
  fzi_wait_port "$(fzi_ns res)" tcp "$FZI_HTTP_PORT" &&
    fzi_wait_port "$(fzi_ns res)" tcp 5201 && fzi_wait_port "$(fzi_ns res)" tcp 5202 &&
    fzi_wait_port "$(fzi_ns res)" udp "$FZI_UDP_PORT"
}

# fzi_keys N: gateway and client keys (wg genkey format), PSKs for the clients in FZI_PSK_CLIENTS
fzi_keys() {
  local n k
  ( umask 077
    for k in gateway $(seq -f 'client%g' 0 $(($1 - 1))); do
      [ -s "$FZI_STATE/$k.key" ] || wg genkey >"$FZI_STATE/$k.key"
      wg pubkey <"$FZI_STATE/$k.key" >"$FZI_STATE/$k.pub"
    done
    for n in $(seq 0 $(($1 - 1))); do
      k=$(fzi_client_psk "$n")
      [ -z "$k" ] || [ -s "$k" ] || wg genpsk >"$k"
    done )
}

# fzi_gateway_conf N: our gateway's config, standalone (static) with the filter, for N clients
fzi_gateway_conf() {
  local n psk peers="" sep=""
  fzi_keys "$1"
  for n in $(seq 0 $(($1 - 1))); do
    psk=$(fzi_client_psk "$n")
    peers+="$sep        { id = \"client$n\"; public_key = \"$(cat "$FZI_STATE/client$n.pub")\";"
    [ -n "$psk" ] && peers+=" preshared_key = \"$(cat "$psk")\";"
    peers+=$'\n'"          ipv4 = \"$(fzi_client_tun4 "$n")\"; ipv6 = \"$(fzi_client_tun6 "$n")\"; resources = [\"lan\", \"lan6\"]; }"
    sep=$',\n'
  done
  ( umask 077
    cat >"$FZI_STATE/gateway.conf" <<CONF
# written by tests/integration/lib/topo.sh
gateway = {
  tun = { name = "$(fzi_gw_tun)"; mtu = $FZI_MTU; offload = ${FZI_TUN_OFFLOAD:-true}; };
  listen_port = $FZI_WG_PORT;
  udp_offload = ${FZI_UDP_OFFLOAD:-true};
${FZI_WORKERS:+  workers = $FZI_WORKERS;
}  private_key_file = "$FZI_STATE/gateway.key";
  log = { level = "${FZI_LOG_LEVEL:-info}"; format = "human"; };
};
modules = (
  { name = "filter"; },
  { name = "static";
    settings = {
      ipv4 = "$FZI_GW_TUN4"; ipv6 = "$FZI_GW_TUN6";
      resources = (
        { id = "lan"; type = "cidr"; address = "$FZI_LAN"; },
        { id = "lan6"; type = "cidr"; address = "$FZI_LAN6"; }
      );
      peers = (
$peers
      );
    };
  }
);
CONF
  )
}

fzi_wait_sock() { # fzi_wait_sock IF: wireguard-go's UAPI socket, up to 5 s
  local i
  for i in $(seq 1 50); do [ -S "/var/run/wireguard/$1.sock" ] && return 0; sleep 0.1; done
  fzi_log "no UAPI socket for $1"; return 1
}

# fzi_gateway_up N: the gateway with peers for clients 0..N-1, in fzi-ID-gw
fzi_gateway_up() {
  local nc=$1 ns tun n psk i
  ns=$(fzi_ns gw); tun=$(fzi_gw_tun)
  fzi_keys "$nc"
  # the operator's set-up, exactly as shipped (sysctls + table inet firezone-gateway)
  FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" ip netns exec "$ns" "$FZI_REPO/scripts/gateway-nft.sh" "$tun" >/dev/null || return 1
  case "${FZGW_GATEWAY:-ours}" in
    ours)
      [ -n "${FZGW_BIN:-}" ] && [ -x "$FZGW_BIN" ] || { fzi_log "FZGW_BIN is not an executable: '${FZGW_BIN:-}'"; return 1; }
      [ -n "${MOD_DIR:-}" ] && [ -d "$MOD_DIR" ] || { fzi_log "MOD_DIR is not a directory: '${MOD_DIR:-}'"; return 1; }
      fzi_gateway_conf "$nc"
      fzi_start gateway "$ns" "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
      ;;
    wireguard-go)
      fzi_start gateway "$ns" env LOG_LEVEL="${WG_LOG_LEVEL:-error}" WG_PROCESS_FOREGROUND=1 wireguard-go -f "$tun"
      fzi_wait_sock "$tun" || return 1
      ip netns exec "$ns" wg set "$tun" private-key "$FZI_STATE/gateway.key" listen-port "$FZI_WG_PORT"
      for n in $(seq 0 $((nc - 1))); do
        psk=$(fzi_client_psk "$n")
        ip netns exec "$ns" wg set "$tun" peer "$(cat "$FZI_STATE/client$n.pub")" \
          ${psk:+preshared-key "$psk"} allowed-ips "$(fzi_client_tun4 "$n")/32,$(fzi_client_tun6 "$n")/128"
      done
      # what our gateway does itself when the static module publishes the interface config
      ip -n "$ns" addr add "$FZI_GW_TUN4/32" dev "$tun"
      ip -n "$ns" addr add "$FZI_GW_TUN6/128" dev "$tun"
      ip -n "$ns" link set "$tun" mtu "$FZI_MTU" up
      ip -n "$ns" route replace "$FZI_TUN4_PFX" dev "$tun"
      ip -n "$ns" route replace "$FZI_TUN6_PFX" dev "$tun"
      ;;
    *) fzi_log "FZGW_GATEWAY must be ours or wireguard-go, not '${FZGW_GATEWAY}'"; return 1 ;;
  esac
  FZI_GW_PID=$(fzi_pid gateway)
  # the TUN with its address, and the UDP port: up to 10 s
  for i in $(seq 1 100); do
    fzi_gw_ready "$ns" "$tun" && return 0
    kill -0 "$FZI_GW_PID" 2>/dev/null || break
    sleep 0.1
  done
  fzi_log "gateway (${FZGW_GATEWAY:-ours}) not ready: TUN $tun with $FZI_GW_TUN4/32 and UDP $FZI_WG_PORT expected; $(kill -0 "$FZI_GW_PID" 2>/dev/null && echo running || echo exited)"
  fzi_log "its log:"; tail -n 30 "$FZI_STATE/gateway.log" | sed 's/^/#   /' >&2
  return 1
}

# fzi_client_up N: wireguard-go client N towards the gateway
fzi_client_up() {
  local n=$1 ns ifn psk
  ns=$(fzi_ns "c$n"); ifn=$(fzi_client_if "$n")
  fzi_keys $((n + 1))
  if ! ip netns list | awk '{print $1}' | fzi_match -x "$ns"; then
    fzi_ns_add "c$n"
    fzi_attach_inet "c$n" "$(fzi_client_inet "$n")/24"
  fi
  fzi_stop "wgc$n"
  fzi_start "wgc$n" "$ns" env LOG_LEVEL="${WG_LOG_LEVEL:-error}" WG_PROCESS_FOREGROUND=1 wireguard-go -f "$ifn"
  fzi_wait_sock "$ifn" || return 1
  psk=$(fzi_client_psk "$n")
  ip netns exec "$ns" wg set "$ifn" private-key "$FZI_STATE/client$n.key" \
    peer "$(cat "$FZI_STATE/gateway.pub")" ${psk:+preshared-key "$psk"} \
    endpoint "$FZI_GW_INET:$FZI_WG_PORT" persistent-keepalive 25 \
    allowed-ips "$FZI_LAN,$FZI_LAN6,$FZI_TUN4_PFX,$FZI_TUN6_PFX"
  ip -n "$ns" addr add "$(fzi_client_tun4 "$n")/32" dev "$ifn"
  ip -n "$ns" addr add "$(fzi_client_tun6 "$n")/128" dev "$ifn"
  ip -n "$ns" link set "$ifn" mtu "$FZI_MTU" up
  ip -n "$ns" route replace "$FZI_LAN" dev "$ifn"
  ip -n "$ns" route replace "$FZI_LAN6" dev "$ifn"
  ip -n "$ns" route replace "$FZI_TUN4_PFX" dev "$ifn"
  ip -n "$ns" route replace "$FZI_TUN6_PFX" dev "$ifn"
}

# fzi_warmup N [SECONDS]: one answered ping from client N to the resource (handshake done)
fzi_warmup() {
  local i ns; ns=$(fzi_ns "c$1")
  for i in $(seq 1 "${2:-10}"); do
    ip netns exec "$ns" ping -c 1 -W 1 -q "$FZI_RES_LAN" >/dev/null 2>&1 && return 0
  done
  return 1
}

# fzi_handshake_age N: seconds since client N's last handshake, or "never"
fzi_handshake_age() {
  local t
  t=$(ip netns exec "$(fzi_ns "c$1")" wg show "$(fzi_client_if "$1")" latest-handshakes | awk '{print $2}')
  if [ "${t:-0}" -gt 0 ]; then echo "$(( $(date +%s) - t ))s"; else echo never; fi
}

# fzi_fetch N PATH: HTTP GET through client N's tunnel; prints the body's sha256 (or FAIL)
fzi_fetch_sha() {
  ip netns exec "$(fzi_ns "c$1")" timeout 30 "$FZI_PY" -c "
import hashlib, sys, urllib.request
b = urllib.request.urlopen('http://$FZI_RES_LAN:$FZI_HTTP_PORT/$2', timeout=20).read()
print(hashlib.sha256(b).hexdigest())" 2>/dev/null || echo FAIL
}

# fzi_gw_counters: SIGUSR1 to our gateway, then "module.name value" for each counter it logged
# after the signal. Both line shapes are read: "<ts> info  MODULE: stats NAME=VALUE" and
# "<ts> info  MODULE: stats GROUP: NAME=VALUE NAME=VALUE ..." (then "module.group.name value").
# Waits up to 3 s for the dump.
# fzi_gw_ready NS TUN: the gateway in NS is up: TUN has the gateway's address and the
# WireGuard port listens
fzi_gw_ready() {
  ip -n "$1" addr show dev "$2" 2>/dev/null | fzi_match "inet $FZI_GW_TUN4/32" &&
    ip netns exec "$1" ss -H -lun "sport = :$FZI_WG_PORT" | fzi_match .
}

fzi_gw_counters() {
  local log="$FZI_STATE/gateway.log" off i n0 n1
  off=$(stat -c %s "$log")
  kill -USR1 "$FZI_GW_PID" 2>/dev/null || return 1
  n0=-1
  for i in $(seq 1 30); do # until stats lines appeared and stopped growing
    sleep 0.1
    n1=$(tail -c +$((off + 1)) "$log" | grep -c ' stats ' || true)
    [ "$n1" -gt 0 ] && [ "$n1" = "$n0" ] && break
    n0=$n1
  done
  tail -c +$((off + 1)) "$log" | awk '
    / stats / {
      i = index($0, " stats "); pre = substr($0, 1, i - 1); rest = substr($0, i + 7)
      n = split(pre, w, " "); mod = w[n]; sub(/:$/, "", mod)
      grp = ""
      j = index(rest, ": ")
      if (j > 0 && index(substr(rest, 1, j - 1), "=") == 0) {
        grp = substr(rest, 1, j - 1); gsub(/ +/, ".", grp); grp = grp "."; rest = substr(rest, j + 2)
      }
      m = split(rest, kv, " ")
      for (j = 1; j <= m; j++)
        if (kv[j] ~ /^[^=]+=[0-9]+$/) { k = index(kv[j], "="); print mod "." grp substr(kv[j], 1, k - 1), substr(kv[j], k + 1) }
    }'
}

# fzi_counters_snap ARRAY: fzi_gw_counters into the associative ARRAY (module.name -> value)
fzi_counters_snap() {
  local -n arr=$1; local k v
  arr=()
  while read -r k v; do arr[$k]=$v; done < <(fzi_gw_counters)
}

# fzi_counters_delta BEFORE AFTER NAME: how much counter NAME rose between two snapshots
fzi_counters_delta() { local -n b=$1 a=$2; echo $(( ${a[$3]:-0} - ${b[$3]:-0} )); }
