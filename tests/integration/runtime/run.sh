#!/bin/bash
# The runtime family: berth-runtime (or $RUNTIME) as a user of the OCI
# runtime spec would check it. Each case is its own run_test.
#   RUNTIME=runc tests/integration/runtime/run.sh
#   BERTH_TEST_FILTER='^runtime/cgroups' tests/integration/runtime/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

suite_begin runtime
if [ ! -x "$RUNTIME" ]; then
	echo "skip runtime/all: runtime '$RUNTIME' not built" | tee -a "$BERTH_RESULTS"
	suite_end
	exit $?
fi
for fam in lifecycle process namespaces mounts cgroups security hooks tty badinput; do
	. "$here/$fam.sh"
done
suite_end
