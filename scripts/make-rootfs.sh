#!/bin/sh
# make-rootfs.sh DIR - a minimal busybox rootfs for tests and the quick start.
# Uses Debian's busybox-static: one static binary plus its applet links, and
# the few files a container expects (/etc/passwd, /etc/group).
set -e
dir=${1:?usage: make-rootfs.sh DIR}
bb=/bin/busybox # busybox-static installs a static one here
[ -x "$bb" ] || { echo "make-rootfs.sh: /bin/busybox missing: install busybox-static" >&2; exit 1; }
mkdir -p "$dir/bin" "$dir/sbin" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" \
	"$dir/root" "$dir/usr/bin" "$dir/usr/sbin" "$dir/var" "$dir/home"
chmod 1777 "$dir/tmp"
cp "$bb" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
	[ "$applet" = busybox ] && continue
	ln -sf busybox "$dir/bin/$applet"
done
ln -sf ../bin/busybox "$dir/sbin/init"
cat >"$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$dir/etc/group" <<'G'
root:x:0:
daemon:x:1:
nogroup:x:65534:
G
echo "berth-test" >"$dir/etc/hostname"
