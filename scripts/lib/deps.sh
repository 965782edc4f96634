# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages a script needs, only those missing. Sourced by scripts/*.sh.
# Usage: need_packages pkg...
need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    return 1
  fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # no package's service may start on the host (coturn's turnserver would listen on 3478; the
  # tests run their own in a namespace): policy-rc.d refuses starts during the install
  local rcd=/usr/sbin/policy-rc.d own_rcd=0 rc
  if [ ! -e "$rcd" ]; then printf '#!/bin/sh\nexit 101\n' >"$rcd" && chmod 755 "$rcd" && own_rcd=1; fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rc=$?
  [ $own_rcd = 1 ] && rm -f "$rcd"
  # nor at the next boot, where systemd is there to do it
  case " ${missing[*]} " in *" coturn "*) command -v systemctl >/dev/null && systemctl disable coturn >/dev/null 2>&1 ;; esac
  return $rc
}

# What building the gateway and its unit tests needs.
BUILD_PACKAGES=(build-essential cmake pkg-config ca-certificates libsodium-dev libconfig-dev
  libevent-dev libjansson-dev libcmocka-dev libwslay-dev libssl-dev libmnl-dev
  libsystemd-dev)
# What the network-namespace tests and the demo need: real peers and tools.
NET_PACKAGES=(iproute2 iputils-ping procps wireguard-go wireguard-tools iperf3 nftables python3 kmod
  python3-websockets openssl dnsmasq-base curl coturn python3-aioice python3-prometheus-client tcpdump
  ethtool)
