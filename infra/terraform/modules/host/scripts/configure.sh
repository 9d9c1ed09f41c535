#!/bin/sh
# Configures a host for podman + runc + CRIU live migration. Idempotent.
# Usage: configure.sh NAME PRIVATE_CIDR PRIVATE_MAC THP INSTALL_PACKAGES
set -eu
[ "$(id -u)" = 0 ] || exec sudo -n sh "$0" "$@"
name=$1 cidr=$2 mac=$3 thp=$4 install=$5
say() { echo "migrlab[$name]: $*"; }
fail() { echo "migrlab[$name]: ERROR: $*" >&2; exit 1; }

# 1. Packages (skipped when everything is already there, as in the local image).
missing=""
for b in podman runc criu conmon ip ping; do
	command -v "$b" >/dev/null 2>&1 || missing="$missing $b"
done
if [ -n "$missing" ]; then
	[ "$install" = true ] || fail "missing:$missing (install_packages=false)"
	command -v apt-get >/dev/null 2>&1 || fail "missing:$missing and no apt-get: install podman, runc, criu, conmon by hand"
	say "installing packages (missing:$missing)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends podman runc criu conmon \
		containernetworking-plugins slirp4netns uidmap iptables catatonit iproute2 iputils-ping >/dev/null
else
	say "packages present"
fi

# 2. runc as podman's runtime (Debian's crun cannot checkpoint).
mkdir -p /etc/containers/containers.conf.d
printf '[engine]\nruntime = "runc"\n' >/etc/containers/containers.conf.d/50-migrlab-runtime.conf

# 3. Podman API socket, and a service that stays up: by default the
# socket-activated service exits after 5 s without a request, and the agent's
# next call waits for a new podman process to start (seconds under emulation,
# varying with the load): a fixed cost that would land in the middle of every
# measured migration step.
keep=/etc/systemd/system/podman.service.d/50-migrlab-keepalive.conf
want=$(printf '[Service]\nExecStart=\nExecStart=%s $LOGGING system service --time=0' "$(command -v podman)")
systemctl enable --now podman.socket >/dev/null 2>&1 || fail "cannot enable podman.socket"
if [ "$(cat "$keep" 2>/dev/null)" != "$want" ]; then
	mkdir -p "${keep%/*}"
	echo "$want" >"$keep"
	systemctl daemon-reload
	systemctl restart podman.service >/dev/null 2>&1 || fail "cannot start podman.service: see systemctl status podman.service"
	say "podman API service kept running (--time=0)"
else
	systemctl start podman.service >/dev/null 2>&1 || fail "cannot start podman.service: see systemctl status podman.service"
fi

# 4. Transparent huge pages (soft-dirty granularity), now and at boot.
if [ -w /sys/kernel/mm/transparent_hugepage/enabled ]; then
	echo "$thp" >/sys/kernel/mm/transparent_hugepage/enabled
	printf 'w /sys/kernel/mm/transparent_hugepage/enabled - - - - %s\n' "$thp" >/etc/tmpfiles.d/migrlab-thp.conf
fi

# 5. Private link address.
addr=${cidr%/*}
if [ -n "$mac" ]; then
	dev=$(ip -o link | awk -v m="$mac" 'tolower($0) ~ ("link/ether " m) { sub(":$", "", $2); sub("@.*", "", $2); print $2; exit }')
	[ -n "$dev" ] || fail "no interface with MAC $mac for the private link"
	mkdir -p /etc/systemd/network
	printf '[Match]\nMACAddress=%s\n\n[Network]\nAddress=%s\nLinkLocalAddressing=no\n' "$mac" "$cidr" >/etc/systemd/network/05-migrlab-private.network
	ip link set "$dev" up
	ip addr replace "$cidr" dev "$dev"
	say "private link $cidr on $dev"
else
	ip -o addr | grep -q " inet $addr/" || fail "private address $addr is not configured on this host"
	say "private address $addr present"
fi
mkdir -p /etc/migrlab
echo "$addr" >/etc/migrlab/private_addr
say "configured"
