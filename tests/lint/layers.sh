#!/bin/bash
# layers.sh - a layer never includes a header from a layer above it.
# The order is DESIGN.md's, bottom to top; programs (src/cmd) may include any.
set -u
cd "$(dirname "$0")/../.."
order=(base runtime image registry build network storage state monitor engine api orchestrator vm)
rank() { local i; for i in "${!order[@]}"; do [ "${order[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }
bad=0
for dir in src/*/; do
	layer=$(basename "$dir")
	[ "$layer" = cmd ] && continue
	mine=$(rank "$layer")
	while IFS=: read -r file inc; do
		target=$(echo "$inc" | sed -n 's/.*#include "\([a-z]*\)\/.*/\1/p')
		[ -n "$target" ] || continue
		theirs=$(rank "$target")
		if [ "$theirs" -gt "$mine" ]; then
			echo "layering: $file includes a header of '$target', a layer above '$layer'"
			bad=1
		fi
	done < <(grep -H '#include "' -r "$dir" --include='*.c' --include='*.h')
done
exit $bad
