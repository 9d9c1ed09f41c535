package testbed

// Link shaping is installed by the real backend on the hosts' private
// interface for the length of a migration (real.Shaping) and must not
// outlive it: the backend removes it when a migration ends, fails or is
// recovered, and the provisioner when it takes a testbed down from servers
// that stay up. Both use this mark and this script.
const (
	// ShapingMark is the file on a host that names the interface migrlab
	// shaped, while it is shaped.
	ShapingMark = "/run/migrlab-shaping"
	// ClearShapingScript removes migrlab's shaping from a host (the
	// interface gets its default qdisc back) and prints "cleared DEV"; it
	// leaves alone an interface migrlab did not shape. It runs as root.
	ClearShapingScript = `[ -e ` + ShapingMark + ` ] || exit 0
dev=$(cat ` + ShapingMark + `)
tc qdisc del dev "$dev" root 2>/dev/null
rm -f ` + ShapingMark + `
echo cleared "$dev"
`
)
