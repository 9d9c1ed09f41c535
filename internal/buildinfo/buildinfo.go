// Package buildinfo holds the version and commit stamped into the binary and
// the provenance that every record carries.
package buildinfo

import (
	"os"
	"runtime"
	"runtime/debug"

	"github.com/migrlab/migrlab/models"
)

// Version and Commit are set at build time with -ldflags "-X ...".
var (
	Version = "0.1.0-dev"
	Commit  = ""
)

// commit returns the stamped commit, else the one Go's build info recorded.
func commit() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}

// Provenance returns the provenance of records made by this binary on this
// machine; host facts of a real testbed are added by the real backend.
func Provenance() models.Provenance {
	host, _ := os.Hostname()
	return models.Provenance{
		Tool: "migrlab", Version: Version, Commit: commit(), GoVersion: runtime.Version(),
		Host: map[string]string{"hostname": host, "os": runtime.GOOS, "arch": runtime.GOARCH,
			"cpus": itoa(runtime.NumCPU())},
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
