#!/bin/bash
# Local testbed VM lifecycle. Usage:
#   vm.sh keys KEY_DIR N SSH_PORT_BASE      create the client key and N host keys (if missing), known_hosts
#   vm.sh link RUN_DIR                      start the private L2 hub (vde_switch --hub)
#   vm.sh unlink RUN_DIR                    stop it
#   vm.sh boot                              boot one VM (environment: see boot()) and wait for SSH
#   vm.sh stop RUN_DIR INDEX                stop one VM (pidfile: TERM, wait, KILL) and remove its files
set -euo pipefail
log() { echo "migrlab: $*"; }
die() { echo "migrlab: ERROR: $*" >&2; exit 1; }

# alive PIDFILE WORD: true if the pid in PIDFILE runs and its command line contains WORD.
alive() {
	[ -f "$1" ] || return 1
	local pid; pid=$(cat "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

# kill_pidfile PIDFILE WORD: TERM, wait up to 15 s, then KILL.
kill_pidfile() {
	alive "$1" "$2" || return 0
	local pid; pid=$(cat "$1")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 150); do alive "$1" "$2" || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do alive "$1" "$2" || return 0; sleep 0.1; done
	die "process $pid ($1) does not exit"
}

keys() {
	local dir=$1 n=$2 base=$3 i
	mkdir -p "$dir" && chmod 700 "$dir"
	[ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C migrlab-testbed -f "$dir/id_ed25519"
	: >"$dir/known_hosts.new"
	for i in $(seq 1 "$n"); do
		[ -f "$dir/vm$i-host-key" ] || ssh-keygen -q -t ed25519 -N '' -C "vm$i" -f "$dir/vm$i-host-key"
		echo "[127.0.0.1]:$((base + i)) $(cut -d' ' -f1-2 "$dir/vm$i-host-key.pub")" >>"$dir/known_hosts.new"
	done
	mv "$dir/known_hosts.new" "$dir/known_hosts"
}

link() {
	local run=$1
	mkdir -p "$run"
	if alive "$run/link.pid" vde_switch; then log "private link already up"; return 0; fi
	command -v vde_switch >/dev/null || die "vde_switch missing: apt-get install vde2"
	rm -rf "$run/link"
	vde_switch --hub -s "$run/link" -p "$run/link.pid" -d </dev/null >/dev/null 2>"$run/link.log" ||
		die "vde_switch failed: $(cat "$run/link.log")"
	log "private link hub up ($run/link)"
}

unlink() {
	local run=$1
	kill_pidfile "$run/link.pid" vde_switch
	rm -rf "$run/link" "$run/link.pid" "$run/link.log"
}

# boot: environment RUN_DIR INDEX NAME IMAGE_DIR KEY_DIR ACCEL MEMORY_MIB CPUS SSH_PORT BOOT_TIMEOUT
boot() {
	local vm=vm$INDEX d=$RUN_DIR/vm$INDEX accel start=$SECONDS
	mkdir -p "$d"
	if alive "$d/qemu.pid" "migrlab-$NAME-$vm"; then log "$vm already running"; else
		accel=$ACCEL
		if [ "$accel" = kvm ] && ! [ -r /dev/kvm -a -w /dev/kvm ]; then die "accel=kvm but /dev/kvm is not usable"; fi
		if [ "$accel" = kvm ] && [ -d /sys/module/kvm_pvm ]; then
			die "accel=kvm but /dev/kvm is PVM (kvm_pvm), which cannot boot stock kernels: use accel=tcg or auto"
		fi
		local cpu=max
		[ "$accel" = kvm ] && cpu=host
		rm -f "$d/disk.qcow2" "$d/console.log"
		qemu-img create -q -f qcow2 -b "$IMAGE_DIR/base.img" -F raw "$d/disk.qcow2"
		# Seed: host name, this VM's host key, the testbed's client key.
		local s=$d/seed
		rm -rf "$s" && mkdir -p "$s/etc/ssh" "$s/root/.ssh"
		echo "$vm" >"$s/etc/hostname"
		printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$vm" >"$s/etc/hosts"
		install -m 600 "$KEY_DIR/$vm-host-key" "$s/etc/ssh/ssh_host_ed25519_key"
		install -m 644 "$KEY_DIR/$vm-host-key.pub" "$s/etc/ssh/ssh_host_ed25519_key.pub"
		install -m 600 "$KEY_DIR/id_ed25519.pub" "$s/root/.ssh/authorized_keys"
		tar -C "$s" --owner=0 --group=0 --numeric-owner -cf "$d/seed.tar" \
			etc/hostname etc/hosts etc/ssh/ssh_host_ed25519_key etc/ssh/ssh_host_ed25519_key.pub root/.ssh/authorized_keys
		rm -rf "$s"
		log "booting $vm (accel $accel, ${MEMORY_MIB} MiB, $CPUS vCPUs, ssh 127.0.0.1:$SSH_PORT)"
		# Under TCG, QEMU keys its translated code by virtual address: with address
		# space randomization every podman, conmon, runc, CRIU and netavark process
		# maps its code somewhere new and is translated again (~700k blocks per
		# migration, the 1 GiB code cache flushed every few minutes). norandmaps
		# lets them reuse the translations: checkpoints and restores take about a
		# third less time, and vary less (docs/fidelity.md). KVM needs no such help.
		local append="root=/dev/vda rw console=ttyS0 quiet"
		[ "$accel" = tcg ] && append="$append norandmaps"
		# The HMP monitor socket (run dir, 0700) is for diagnosis: "info jit" shows
		# the translation cache (socat - UNIX-CONNECT:$d/monitor.sock).
		qemu-system-x86_64 -name "migrlab-$NAME-$vm" -accel "$accel" -cpu "$cpu" -m "$MEMORY_MIB" -smp "$CPUS" \
			-kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" \
			-append "$append" \
			-drive "file=$d/disk.qcow2,if=virtio,format=qcow2,cache=unsafe" \
			-drive "file=$d/seed.tar,if=virtio,format=raw,readonly=on" \
			-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22" -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56 \
			-netdev "vde,id=n1,sock=$RUN_DIR/link" -device "virtio-net-pci,netdev=n1,mac=$(printf '52:54:00:10:10:%02x' "$INDEX")" \
			-display none -serial "file:$d/console.log" -monitor "unix:$d/monitor.sock,server,nowait" \
			-daemonize -pidfile "$d/qemu.pid" </dev/null >/dev/null 2>"$d/qemu.log" ||
			die "qemu failed for $vm: $(cat "$d/qemu.log")"
	fi
	local ssh=(ssh -q -i "$KEY_DIR/id_ed25519" -o UserKnownHostsFile="$KEY_DIR/known_hosts" -o StrictHostKeyChecking=yes
		-o BatchMode=yes -o ConnectTimeout=5 -p "$SSH_PORT" root@127.0.0.1)
	while ! "${ssh[@]}" true </dev/null 2>/dev/null; do
		alive "$d/qemu.pid" "migrlab-$NAME-$vm" || die "$vm: qemu exited: $(cat "$d/qemu.log" 2>/dev/null); console: $(tail -20 "$d/console.log" 2>/dev/null)"
		if ((SECONDS - start > BOOT_TIMEOUT)); then
			die "$vm: no SSH on port $SSH_PORT after ${BOOT_TIMEOUT}s; console tail: $(tail -20 "$d/console.log" 2>/dev/null)"
		fi
		sleep 2
	done
	log "$vm ssh up after $((SECONDS - start))s"
}

stop() {
	local run=$1 vm=vm$2
	kill_pidfile "$run/$vm/qemu.pid" "$vm"
	rm -rf "${run:?}/$vm"
	log "$vm stopped"
}

cmd=${1:-}
shift || true
case $cmd in
keys | link | unlink | boot | stop) "$cmd" "$@" ;;
*) die "usage: vm.sh keys|link|unlink|boot|stop ..." ;;
esac
