package plot

import (
	"errors"
	"flag"
	"testing"
)

var samples = flag.String("samples", "", "write the standard plots of the sample records into this directory")

// TestWriteSamples writes sample plots to look at, when -samples is given.
func TestWriteSamples(t *testing.T) {
	if *samples == "" {
		t.Skip("no -samples directory")
	}
	paths, err := WriteAll(*samples, sampleRecords())
	var sk *SkippedError
	if err != nil && !errors.As(err, &sk) {
		t.Fatal(err)
	}
	for _, p := range paths {
		t.Log(p)
	}
}
