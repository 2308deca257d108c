#!/bin/sh
# demo.sh - the quick start: a container from a locally made busybox image,
# run by berth-runtime with its defaults. Needs root and `make` first.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
rt="$top/bin/berth-runtime"
[ -x "$rt" ] || { echo "demo: $rt is missing: run 'make' first" >&2; exit 1; }
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$top/scripts/make-rootfs.sh" "$work/bundle/rootfs"
cd "$work/bundle"
"$rt" spec
jq '.process.terminal = false
    | .process.args = ["sh", "-c", "echo hello from a berth container; echo hostname: $(hostname); echo pid: $$; id"]' \
	config.json >config.json.new && mv config.json.new config.json
"$rt" --root "$work/state" run "demo-$$"
