#!/bin/bash
# Runs the end-to-end tests: brings up a local two-VM testbed (QEMU; KVM when
# real KVM exists, TCG otherwise), runs ./e2e/ against it, tears it down.
# Installs missing apt packages itself (as root). Cold (image build): ~10 min
# under TCG; the guest image is cached in ~/.cache/migrlab/images.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test -tags 'e2e remote exclude_graphdriver_btrfs btrfs_noversion exclude_graphdriver_devicemapper containers_image_openpgp' \
	-timeout 70m -count=1 -v ./e2e/ "$@"
