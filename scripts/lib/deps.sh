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
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What building the gateway and its unit tests needs.
BUILD_PACKAGES=(build-essential cmake pkg-config ca-certificates libsodium-dev libconfig-dev
  libevent-dev libjansson-dev libcmocka-dev libwslay-dev libssl-dev libmnl-dev)
# What the network-namespace tests and the demo need: real peers and tools.
NET_PACKAGES=(iproute2 iputils-ping procps wireguard-go wireguard-tools iperf3 nftables python3 kmod
  python3-websockets openssl dnsmasq-base curl)
