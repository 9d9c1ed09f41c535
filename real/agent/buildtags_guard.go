//go:build !remote || (linux && cgo && !(exclude_graphdriver_btrfs && exclude_graphdriver_devicemapper))

// This file is compiled only when the build tags that the podman v4 bindings
// need are missing (the Justfile passes them: scripts/just build, check, unit).
// Without `remote` the bindings pull in libpod's local runtime and with it
// containers/image's gpgme signing (cgo and libgpgme; under CGO_ENABLED=0 it
// does not compile at all); with cgo on Linux, containers/storage also pulls in
// the btrfs and devicemapper graph drivers (C headers) unless excluded. Either
// way the build would fail deep inside github.com/containers/... with errors
// that do not say why. The embed pattern below names no file, so go build,
// go vet and go test stop at load time, before compiling anything, and print
// the pattern as the message. Under CGO_ENABLED=0, -tags remote is enough.

package agent

import _ "embed"

//go:embed "podman bindings need build tags: use scripts/just build (or check, unit), or go build -tags 'remote exclude_graphdriver_btrfs exclude_graphdriver_devicemapper' ./..."
var needsBuildTags string
