# usage.sh - volumes family: what a user reads about volumes and networks
# without their own verbs: `berth inspect NAME` finding a network or a
# volume (docker's order: container, image, network, volume; --type), and
# `berth system df` / GET /system/df counting a volume's bytes, also
# through the real docker CLI. Sourced by run.sh.

test_inspect_any_object() {
	net_begin volume network
	local v=btv-insp-$$ n=btn-insp-$$
	vcreate "$v" --label team=qa
	net_create "$n" --subnet "$(net_subnet 41)"
	b_ok inspect "$v"
	assert_eq "$v local qa" "$(jq -r '.[0] | "\(.Name) \(.Driver) \(.Labels.team)"' <<<"$OUT")" "inspect of a volume"
	b_ok inspect -f '{{.Name}} {{.Driver}}' "$n"
	assert_eq "$n bridge" "$OUT" "inspect -f of a network"
	b_ok inspect --type volume -f '{{.Mountpoint}}' "$v"
	assert_eq "$(vinsp "$v" .Mountpoint)" "$OUT" "inspect --type volume"
	# Both at once, in the order given, as one array.
	b_ok inspect "$n" "$v"
	assert_eq "$n $v" "$(jq -r '[.[].Name] | join(" ")' <<<"$OUT")" "inspect of a network and a volume"
	b_out inspect --type network "$v"
	[ "$RC" -eq 1 ] || fail "inspect --type network of a volume exited $RC"
	assert_contains "$ERR" "No such network: $v" "inspect --type network of a volume"
	b_out inspect "nosuch-$$"
	[ "$RC" -eq 1 ] || fail "inspect of nothing exited $RC"
	assert_contains "$ERR" "No such object: nosuch-$$" "inspect of nothing"
	# A container by the same name comes first; --type reaches the volume.
	b_ok create --name "$v" "$IMG" true
	local cid=$OUT
	echo "$cid" >>"$T/.cids"
	b_ok inspect -f '{{.Id}}' "$v"
	assert_eq "$cid" "$OUT" "inspect prefers the container"
	b_ok inspect --type volume -f '{{.Name}}' "$v"
	assert_eq "$v" "$OUT" "inspect --type volume with a container of that name"
	b_out inspect --type pod "$v"
	[ "$RC" -ne 0 ] || fail "inspect --type pod succeeded"
	net_finish
}
net_run_test volumes/inspect-any-object test_inspect_any_object

# df_row TYPE: system df's row for TYPE ("Local Volumes"), its columns
# after the type joined by single spaces.
df_row() { grep "^$1 " <<<"$OUT" | sed "s/^$1 *//; s/   */ /g"; }

test_system_df() {
	net_begin volume
	local v=btv-df-$$ size
	vcreate "$v"
	# 100000 bytes in the volume, then a stopped container that keeps it.
	b_ok create -v "$v:/data" "$IMG" true
	echo "$OUT" >>"$T/.cids"
	runo -v "$v:/data" "$IMG" dd if=/dev/zero of=/data/f bs=1000 count=100
	[ "$RC" -eq 0 ] || fail "writing into $v exited $RC: $ERR"
	size=$(curl -s --unix-socket "$SOCK" "http://x/$API/system/df" |
		jq -r --arg v "$v" '.Volumes[] | select(.Name == $v) | .UsageData | "\(.Size) \(.RefCount)"')
	read -r bytes refs <<<"$size"
	[ "${bytes:-0}" -ge 100000 ] && [ "$bytes" -lt 200000 ] || fail "GET /system/df: $v is '$size', not ~100000 bytes"
	assert_eq 1 "$refs" "GET /system/df: $v's RefCount"
	curl -s --unix-socket "$SOCK" "http://x/$API/system/df?type=volume" | jq -e '(.Images == null) and (.Volumes | length == 1)' >/dev/null ||
		fail "GET /system/df?type=volume is not only the volumes"
	b_ok system df
	assert_contains "$OUT" "TYPE" "system df header"
	[[ $(df_row 'Local Volumes') =~ ^1\ 1\ ${bytes:0:3}(\.[0-9])?kB\ 0B\ \(0%\)$ ]] ||
		fail "system df Local Volumes: '$(df_row 'Local Volumes')', not 1 1 ~${bytes}B 0B (0%)"
	assert_eq "0 0 0B 0B" "$(df_row 'Build Cache')" "system df Build Cache"
	[[ $(df_row Images) =~ ^[0-9]+\ 1\  ]] || fail "system df Images: '$(df_row Images)', not one in use"
	[[ $(df_row Containers) == "1 0 "* ]] || fail "system df Containers: '$(df_row Containers)'"
	b_ok system df -v
	assert_contains "$OUT" "Local Volumes space usage:" "system df -v"
	grep -Eq "^$v +1 +${bytes:0:3}(\.[0-9])?kB$" <<<"$OUT" || fail "system df -v has no '$v 1 ${bytes:0:3}kB' line: $OUT"
	b_ok system df --format '{{.Type}}={{.TotalCount}}'
	assert_contains "$OUT" "Local Volumes=1" "system df --format"
	# The docker CLI reads the same answer.
	eng_need_docker
	d_out system df -v
	[ "$RC" -eq 0 ] || fail "docker system df -v exited $RC: $ERR"
	grep -Eq "^$v +1 +${bytes:0:3}(\.[0-9])?kB$" <<<"$OUT" || fail "docker system df -v has no '$v 1 ${bytes:0:3}kB' line: $OUT"
	net_finish
}
net_run_test volumes/system-df test_system_df
