package infra

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// TestModulesFmtAndValidate runs terraform fmt -check over the embedded
// modules and terraform validate over those that need no provider download
// (aws needs hashicorp/aws, which cannot be installed offline). Skipped when
// no terraform is installed.
func TestModulesFmtAndValidate(t *testing.T) {
	bin, err := FindTerraform("")
	if err != nil {
		t.Skip(err)
	}
	l, _ := newLayout(t.TempDir(), "v")
	if err := l.writeModules(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	tf, err := tfexec.NewTerraform(l.tfRoot(), bin)
	if err != nil {
		t.Fatal(err)
	}
	ok, files, err := tf.FormatCheck(ctx, tfexec.Recursive(true))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Errorf("terraform fmt -check: not formatted: %v", files)
	}
	for _, dir := range []string{"local", "ssh", filepath.Join("modules", "host")} {
		tf, err := tfexec.NewTerraform(filepath.Join(l.tfRoot(), dir), bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := tf.Init(ctx, tfexec.Backend(false)); err != nil {
			t.Fatalf("%s: terraform init: %v", dir, err)
		}
		v, err := tf.Validate(ctx)
		if err != nil {
			t.Fatalf("%s: terraform validate: %v", dir, err)
		}
		if !v.Valid {
			t.Errorf("%s: invalid: %+v", dir, v.Diagnostics)
		}
	}
}
