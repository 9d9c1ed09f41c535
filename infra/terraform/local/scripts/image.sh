#!/bin/bash
# Builds (once) the Debian 12 guest image for the local testbed and caches it.
# Usage: image.sh CACHE_DIR HASH MIRROR
# Result: CACHE_DIR/HASH/{base.img,vmlinuz,initrd.img}. The image is generic:
# keys, host name and addresses come from a per-VM seed at boot (see vm.sh).
set -euo pipefail
cache=$1 hash=$2 mirror=$3
here=$(cd "$(dirname "$0")" && pwd)
dir=$cache/$hash
log() { echo "migrlab: $*"; }
[ -f "$dir/base.img" ] && { log "guest image $hash cached in $dir"; exit 0; }

missing=""
for b in mmdebstrap mkfs.ext4 flock; do command -v "$b" >/dev/null || missing="$missing $b"; done
[ -z "$missing" ] || { echo "migrlab: missing:$missing; install with: apt-get install mmdebstrap e2fsprogs util-linux" >&2; exit 1; }

mkdir -p "$cache"
exec 9>"$cache/.lock-$hash"
flock 9
[ -f "$dir/base.img" ] && { log "guest image $hash built by another process"; exit 0; }

tmp=$(mktemp -d "$cache/.build-$hash.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
log "building guest image $hash with mmdebstrap (a few minutes; log: $tmp/mmdebstrap.log)"
if ! mmdebstrap --variant=apt --mode=root \
	--include=systemd-sysv,udev,dbus,linux-image-amd64,initramfs-tools,podman,runc,criu,conmon,netavark,containernetworking-plugins,slirp4netns,uidmap,iptables,openssh-server,iproute2,iputils-ping,kmod,ca-certificates,procps,netcat-openbsd,catatonit,tar \
	--customize-hook="bash $here/guest-setup.sh \"\$1\"" \
	bookworm "$tmp/rootfs" "$mirror" >"$tmp/mmdebstrap.log" 2>&1; then
	tail -40 "$tmp/mmdebstrap.log" >&2
	echo "migrlab: mmdebstrap failed (see above)" >&2
	exit 1
fi
cp "$tmp"/rootfs/boot/vmlinuz-* "$tmp/vmlinuz"
cp "$tmp"/rootfs/boot/initrd.img-* "$tmp/initrd.img"
mkfs.ext4 -q -F -L root -d "$tmp/rootfs" "$tmp/base.img" 8G
rm -rf "$tmp/rootfs"
chmod 0444 "$tmp/base.img"
mv "$tmp" "$dir"
trap - EXIT
log "guest image $hash built in $((SECONDS - start))s"
