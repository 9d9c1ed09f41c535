package infra

import (
	"fmt"
	"net/netip"
	"regexp"
)

// What a server's fields may hold: they reach file paths, Terraform
// variables, shell lines and ssh's command line.
var (
	serverNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	userRE       = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	hostnameRE   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$`)
)

// validate checks an existing server's fields before they reach a path, a
// shell or ssh: a name of lowercase letters, digits and '-', a Unix user
// name, an address that is an IP or a host name, a port in range.
func (s Server) validate() error {
	if s.Name != "" && !serverNameRE.MatchString(s.Name) {
		return fmt.Errorf("name %q: use lowercase letters, digits and '-' (at most 63), starting with a letter or digit", s.Name)
	}
	if s.User != "" && !userRE.MatchString(s.User) {
		return fmt.Errorf("user %q: not a Unix user name (lowercase letters, digits, '_' and '-', starting with a letter or '_')", s.User)
	}
	if !validHost(s.Address) {
		return fmt.Errorf("address %q: want an IP address or a host name", s.Address)
	}
	if s.PrivateAddr != "" {
		if _, err := netip.ParseAddr(s.PrivateAddr); err != nil {
			return fmt.Errorf("private_addr %q: want an IP address on the private link", s.PrivateAddr)
		}
	}
	if s.Port < 0 || s.Port > 65535 {
		return fmt.Errorf("port %d: want 1 to 65535 (0: 22)", s.Port)
	}
	return nil
}

func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return len(h) <= 253 && hostnameRE.MatchString(h)
}
