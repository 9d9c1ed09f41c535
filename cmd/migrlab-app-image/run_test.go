package main

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/migrlab/migrlab/real/image"
)

// TestRun: each application name builds its own image into the archive
// named; a missing or unknown name is exit 2 with the names in the usage;
// a failed build is exit 1.
func TestRun(t *testing.T) {
	var built []string
	build = func(_ context.Context, d image.DebianImage, out string) (string, error) {
		built = append(built, d.Name+" "+out)
		if out == "fail.tar" {
			return "", errors.New("mmdebstrap failed")
		}
		return "sha256:abc", nil
	}
	t.Cleanup(func() { build = image.BuildDebianArchive })
	for _, c := range []struct {
		args           []string
		code           int
		stdout, stderr string
		built          string
	}{
		{[]string{"memcached", "out/memcached.tar"}, 0, "out/memcached.tar: localhost/migrlab-memcached:latest (sha256:abc)\n", "",
			"localhost/migrlab-memcached:latest out/memcached.tar"},
		{[]string{"redis", "out/redis.tar"}, 0, "out/redis.tar: localhost/migrlab-redis:latest (sha256:abc)\n", "",
			"localhost/migrlab-redis:latest out/redis.tar"},
		{[]string{"redis", "fail.tar"}, 1, "", "migrlab-app-image: mmdebstrap failed\n", "localhost/migrlab-redis:latest fail.tar"},
		{[]string{"redis"}, 2, "", "usage: migrlab-app-image memcached|redis ARCHIVE.tar\n", ""},
		{[]string{"nginx", "x.tar"}, 2, "",
			"migrlab-app-image: no application \"nginx\"; want one of memcached, redis\nusage: migrlab-app-image memcached|redis ARCHIVE.tar\n", ""},
	} {
		built = nil
		var out, errb bytes.Buffer
		code := run(context.Background(), c.args, &out, &errb)
		got := ""
		if len(built) == 1 {
			got = built[0]
		}
		if code != c.code || out.String() != c.stdout || errb.String() != c.stderr || got != c.built || len(built) > 1 {
			t.Errorf("run %v = %d, stdout %q, stderr %q, built %q; want %d, %q, %q, %q", c.args, code, out.String(), errb.String(), built,
				c.code, c.stdout, c.stderr, c.built)
		}
	}
}
