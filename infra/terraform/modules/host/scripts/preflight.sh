#!/bin/sh
# Fails unless this host can checkpoint with CRIU memory tracking; writes /etc/migrlab/facts.json.
# Usage: preflight.sh NAME THP
set -u
[ "$(id -u)" = 0 ] || exec sudo -n sh "$0" "$@"
name=$1 want_thp=$2
fail() {
	echo "migrlab[$name]: PREFLIGHT FAILED: $*" >&2
	echo "migrlab[$name]: PREFLIGHT FAILED: $*"
	exit 1
}

out=$(criu check 2>&1) || fail "'criu check' failed: $(echo "$out" | tail -3 | tr '\n' ' ')"
out=$(criu check --feature mem_dirty_track 2>&1) ||
	fail "'criu check --feature mem_dirty_track' is not supported (the kernel needs CONFIG_MEM_SOFT_DIRTY): $(echo "$out" | tail -2 | tr '\n' ' ')"
systemctl is-active --quiet podman.socket || fail "podman.socket is not active"
systemctl is-active --quiet podman.service || fail "podman.service is not running (configure.sh keeps it up with --time=0)"
[ -S /run/podman/podman.sock ] || fail "/run/podman/podman.sock is missing"
runtime=$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null) || fail "podman info failed"
[ "$runtime" = runc ] || fail "podman runtime is '$runtime', want runc"

kernel=$(uname -r)
podman=$(podman version --format '{{.Client.Version}}' 2>/dev/null)
criu=$(criu --version 2>/dev/null | sed -n 's/^Version: *//p' | head -1)
runtime_version=$(runc --version 2>/dev/null | sed -n 's/^runc version *//p' | head -1)
conmon=$(conmon --version 2>/dev/null | sed -n 's/^conmon version *//p' | head -1)
network=$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null || echo unknown)
case $(cat /proc/sys/kernel/randomize_va_space 2>/dev/null) in 0) aslr=off ;; 1 | 2) aslr=on ;; *) aslr=unknown ;; esac
thp=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)
[ "$thp" = "$want_thp" ] || [ "$thp" = unknown ] || fail "transparent_hugepage is '$thp', want '$want_thp'"
private_addr=$(cat /etc/migrlab/private_addr 2>/dev/null || true)

mkdir -p /etc/migrlab
cat >/etc/migrlab/facts.json.new <<JSON
{"name":"$name","kernel":"$kernel","podman":"$podman","criu":"$criu","runtime":"$runtime","runtime_version":"$runtime_version","conmon":"$conmon","thp":"$thp","network_backend":"$network","aslr":"$aslr","private_addr":"$private_addr"}
JSON
mv /etc/migrlab/facts.json.new /etc/migrlab/facts.json
echo "migrlab[$name]: preflight ok: kernel $kernel, podman $podman, criu $criu, $runtime $runtime_version, thp $thp, network $network, aslr $aslr"
