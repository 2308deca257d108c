#!/bin/sh
# Installs every Debian package berth needs to build, run and test.
# Called by both README commands; safe to run again.
set -e
PKGS="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
      libjansson-dev libseccomp-dev libcap-dev libarchive-dev libssl-dev zlib1g-dev libzstd-dev
      libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev libgnutls28-dev docker-registry
      busybox-static runc crun podman skopeo umoci containerd apache2-utils
      libnftables-dev libmnl-dev nftables e2fsprogs iperf3 wrk
      iproute2 util-linux procps psmisc jq
      python3 time bsdutils openssl curl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q $missing >/dev/null
fi
