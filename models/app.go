package models

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// App is the user's own container, migrated on a real testbed instead of
// migrlab's synthetic workload: an image, how it is started, the port its
// clients use and three hooks (probe, load, check). The zero App (no image)
// means the synthetic workload. The simulator does not run the app: for it,
// memory and workload still describe the container.
type App struct {
	// Image names the container image (for example localhost/migrlab-redis:latest).
	Image string `yaml:"image,omitempty" json:"image,omitempty"`
	// Archive is a local image archive (podman save, docker-archive) that
	// is loaded on the hosts before the run when they lack the image.
	Archive string `yaml:"archive,omitempty" json:"archive,omitempty"`
	// Args replace the image's command.
	Args []string `yaml:"args,omitempty" json:"args,omitempty"`
	// Env are environment variables of the container.
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	// Port is the service's TCP port inside the container; it is published
	// on every host at the run's host port, like the workload's probe port.
	Port int `yaml:"port,omitempty" json:"port,omitempty"`
	// Probe is how a client sees the service answer (default: a TCP connect).
	Probe AppProbe `yaml:"probe,omitempty" json:"probe,omitzero"`
	// Load keeps the service busy during the migration (optional).
	Load AppHook `yaml:"load,omitempty" json:"load,omitzero"`
	// Check proves that the service's state survived (optional).
	Check AppHook `yaml:"check,omitempty" json:"check,omitzero"`
}

// AppProbe is how the probe monitor asks the service whether it answers.
// Each kind given must pass for an answer; none given means TCP.
type AppProbe struct {
	// TCP connects to the service (and, with Send/Expect, talks to it).
	TCP bool `yaml:"tcp,omitempty" json:"tcp,omitempty"`
	// Send is written after a TCP connect (for example "PING\r\n").
	Send string `yaml:"send,omitempty" json:"send,omitempty"`
	// Expect must appear in what the service answers after Send.
	Expect string `yaml:"expect,omitempty" json:"expect,omitempty"`
	// UDP sends Send as one datagram to the service's port (published for
	// UDP too) and wants one answer datagram (holding Expect when set).
	UDP bool `yaml:"udp,omitempty" json:"udp,omitempty"`
	// HTTP sends a GET and wants a status.
	HTTP HTTPProbe `yaml:"http,omitempty" json:"http,omitzero"`
	// Exec is a shell command run on the source host; exit status 0 is an
	// answer. $ADDR, $HOST and $PORT name the service's address.
	Exec string `yaml:"exec,omitempty" json:"exec,omitempty"`
}

// HTTPProbe is an HTTP GET probe.
type HTTPProbe struct {
	// Path of the GET (starts with /).
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// Status the answer must have (default 200 when Path is set).
	Status int `yaml:"status,omitempty" json:"status,omitempty"`
}

// AppHook is a shell command run on the source host with $ADDR, $HOST and
// $PORT naming the service's address.
type AppHook struct {
	Exec string `yaml:"exec,omitempty" json:"exec,omitempty"`
}

// Enabled reports whether the scenario names an app (else the synthetic workload).
func (a App) Enabled() bool { return a.Image != "" }

// WithDefaults fills the probe's defaults: TCP when no kind is given, status
// 200 for an HTTP path.
func (a App) WithDefaults() App {
	if !a.Enabled() {
		return a
	}
	if !a.Probe.TCP && !a.Probe.UDP && a.Probe.HTTP.Path == "" && a.Probe.Exec == "" {
		a.Probe.TCP = true
	}
	if a.Probe.HTTP.Path != "" && a.Probe.HTTP.Status == 0 {
		a.Probe.HTTP.Status = 200
	}
	return a
}

var (
	envName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	imageName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$`)
)

// Validate checks an app; the error names the field and the fix.
func (a App) Validate() error {
	if !a.Enabled() {
		for _, f := range []struct {
			name string
			set  bool
		}{{"archive", a.Archive != ""}, {"args", len(a.Args) > 0}, {"env", len(a.Env) > 0}, {"port", a.Port != 0},
			{"probe", a.Probe != AppProbe{}}, {"load", a.Load.Exec != ""}, {"check", a.Check.Exec != ""}} {
			if f.set {
				return fmt.Errorf("app.%s: set app.image too (the app's container image), or leave app out for the synthetic workload", f.name)
			}
		}
		return nil
	}
	if !imageName.MatchString(a.Image) || len(a.Image) > 255 {
		return fmt.Errorf("app.image: want an image name such as localhost/migrlab-redis:latest, got %q", a.Image)
	}
	if strings.ContainsAny(a.Archive, "\x00\n") {
		return fmt.Errorf("app.archive: want a file path, got %q", a.Archive)
	}
	for i, arg := range a.Args {
		if strings.ContainsRune(arg, 0) {
			return fmt.Errorf("app.args[%d]: must not hold a NUL byte", i)
		}
	}
	keys := make([]string, 0, len(a.Env))
	for k := range a.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !envName.MatchString(k) {
			return fmt.Errorf("app.env: %q is not a variable name (letters, digits and _, not starting with a digit)", k)
		}
		if strings.ContainsRune(a.Env[k], 0) {
			return fmt.Errorf("app.env.%s: must not hold a NUL byte", k)
		}
	}
	if a.Port < 1 || a.Port > 65535 {
		return fmt.Errorf("app.port: give the service's TCP port inside the container (1 to 65535), got %d", a.Port)
	}
	return a.validateHooks()
}

func (a App) validateHooks() error {
	p := a.Probe
	if !p.TCP && !p.UDP && (p.Send != "" || p.Expect != "") {
		field := "send"
		if p.Send == "" {
			field = "expect"
		}
		return fmt.Errorf("app.probe.%s: only a TCP or UDP probe sends and expects; set app.probe.tcp: true or app.probe.udp: true", field)
	}
	if p.TCP && p.UDP {
		return fmt.Errorf("app.probe.udp: send and expect serve one protocol; set app.probe.tcp or app.probe.udp, not both")
	}
	if p.UDP && p.Send == "" {
		return fmt.Errorf("app.probe.udp: give app.probe.send too (the request datagram, in the app's own protocol)")
	}
	if p.Expect != "" && p.Send == "" {
		return fmt.Errorf("app.probe.expect: give app.probe.send too (what to write before the answer is read)")
	}
	if p.HTTP.Path != "" && !strings.HasPrefix(p.HTTP.Path, "/") {
		return fmt.Errorf("app.probe.http.path: must start with /, got %q", p.HTTP.Path)
	}
	if p.HTTP.Path == "" && p.HTTP.Status != 0 {
		return fmt.Errorf("app.probe.http.status: give app.probe.http.path too (the path of the GET)")
	}
	if p.HTTP.Path != "" && (p.HTTP.Status < 100 || p.HTTP.Status > 599) {
		return fmt.Errorf("app.probe.http.status: must be an HTTP status between 100 and 599, got %d", p.HTTP.Status)
	}
	for _, h := range []struct{ field, cmd string }{{"probe.exec", p.Exec}, {"load.exec", a.Load.Exec}, {"check.exec", a.Check.Exec}} {
		if strings.ContainsRune(h.cmd, 0) {
			return fmt.Errorf("app.%s: must not hold a NUL byte", h.field)
		}
		if h.cmd != "" && strings.TrimSpace(h.cmd) == "" {
			return fmt.Errorf("app.%s: a blank command; give a shell command or leave the field out", h.field)
		}
	}
	return nil
}
