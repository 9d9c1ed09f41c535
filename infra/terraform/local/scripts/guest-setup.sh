#!/bin/bash
# mmdebstrap customize hook: makes the root file system a generic migrlab guest.
# Usage: guest-setup.sh ROOTFS
set -euo pipefail
R=$1
echo migrlab >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 migrlab\n' >"$R/etc/hosts"
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' >"$R/etc/fstab"
# No baked-in host keys: each VM gets its own from the seed.
rm -f "$R"/etc/ssh/ssh_host_*
printf 'PasswordAuthentication no\nHostKey /etc/ssh/ssh_host_ed25519_key\n' >"$R/etc/ssh/sshd_config.d/migrlab.conf"
mkdir -p "$R/root/.ssh" && chmod 700 "$R/root/.ssh"
mkdir -p "$R/etc/containers/containers.conf.d"
printf '[engine]\nruntime = "runc"\n' >"$R/etc/containers/containers.conf.d/50-migrlab-runtime.conf"
# netavark, podman 4's own network stack, instead of the CNI plugins (podman
# 4.3 on Debian picks CNI when both are installed): it sets up and tears down
# the container's network (bridge, port forwards) in one process instead of
# one Go binary per plugin, measured under TCG: -1.8 s per restore, -0.8 s per
# checkpoint, -2.6 s per container start (docs/fidelity.md).
printf '[network]\nnetwork_backend = "netavark"\n' >"$R/etc/containers/containers.conf.d/50-migrlab-network.conf"
mkdir -p "$R/etc/systemd/network"
printf '[Match]\nMACAddress=52:54:00:12:34:56\n\n[Network]\nDHCP=yes\n' >"$R/etc/systemd/network/10-user.network"

# Per-VM seed: a tar archive attached as the second disk (/dev/vdb).
cat >"$R/usr/local/sbin/migrlab-seed" <<'SEED'
#!/bin/sh
# Applies the per-VM seed (tar archive on /dev/vdb): host keys, authorized_keys, host name.
i=0
while [ ! -b /dev/vdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/vdb ] || { echo "migrlab-seed: no /dev/vdb"; exit 0; }
tar -x -p -f /dev/vdb -C / || exit 1
chmod 600 /etc/ssh/ssh_host_ed25519_key /root/.ssh/authorized_keys 2>/dev/null
hostname "$(cat /etc/hostname)"
SEED
chmod 755 "$R/usr/local/sbin/migrlab-seed"
cat >"$R/etc/systemd/system/migrlab-seed.service" <<'UNIT'
[Unit]
Description=Apply the migrlab per-VM seed
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target ssh.service systemd-networkd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/migrlab-seed

[Install]
WantedBy=sysinit.target
UNIT
# No periodic jobs in a measurement VM: a timer firing mid-migration (package
# lists, man-db, tmpfiles, podman auto-update) would take the emulated CPU
# from the migration being measured.
chroot "$R" systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer dpkg-db-backup.timer \
	e2scrub_all.timer fstrim.timer logrotate.timer systemd-tmpfiles-clean.timer podman-auto-update.timer >/dev/null 2>&1
chroot "$R" systemctl enable migrlab-seed.service systemd-networkd ssh podman.socket serial-getty@ttyS0.service
