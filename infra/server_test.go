package infra

import (
	"strings"
	"testing"

	"github.com/migrlab/migrlab/testbed"
)

// TestServerFieldsAreValidated: names, users and addresses that could reach
// a path, a shell line or ssh's options are refused before Terraform runs,
// naming the field.
func TestServerFieldsAreValidated(t *testing.T) {
	good := Server{Name: "edge-1", Address: "192.0.2.10", User: "migrlab", PrivateAddr: "10.0.0.1", Port: 22}
	for _, c := range []struct {
		edit func(*Server)
		want string // "" valid
	}{
		{func(*Server) {}, ""},
		{func(s *Server) { s.Address = "host-2.example.org" }, ""},
		{func(s *Server) { s.Address = "2001:db8::1" }, ""},
		{func(s *Server) { s.Name = "../../etc" }, "name"},
		{func(s *Server) { s.Name = "a b" }, "name"},
		{func(s *Server) { s.User = "-oProxyCommand=sh" }, "user"},
		{func(s *Server) { s.User = "root;rm" }, "user"},
		{func(s *Server) { s.Address = "-oProxyCommand=x" }, "address"},
		{func(s *Server) { s.Address = "h$(id)" }, "address"},
		{func(s *Server) { s.Address = "" }, "address"},
		{func(s *Server) { s.PrivateAddr = "10.0.0.1; reboot" }, "private_addr"},
		{func(s *Server) { s.Port = 70000 }, "port"},
	} {
		s := good
		c.edit(&s)
		other := Server{Name: "b", Address: "192.0.2.11"}
		_, err := normalize(Spec{Backend: testbed.BackendSSH, Servers: []Server{s, other}})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v, want it accepted", s, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: %v, want an error naming %s", s, err, c.want)
		}
	}
}
