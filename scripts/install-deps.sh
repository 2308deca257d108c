#!/bin/sh
# Installs every Debian package berth needs to build, run and test.
# Called by both README commands; safe to run again.
set -e
PKGS="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
      libjansson-dev libseccomp-dev libcap-dev
      busybox-static runc crun podman skopeo umoci containerd
      iproute2 util-linux procps psmisc jq
      python3 time bsdutils"
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
