package agent

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestMeasureLink runs a source and a target agent in-process: the target's
// private (transfer-only) handler takes the bulk transfer with a token issued
// on its full API, and refuses it without one.
func TestMeasureLink(t *testing.T) {
	newServer := func() *Server {
		s, err := New(Config{StateDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	src, dst := newServer(), newServer()
	srcAPI := httptest.NewServer(src.Handler(true))
	defer srcAPI.Close()
	dstAPI := httptest.NewServer(dst.Handler(true))
	defer dstAPI.Close()
	dstPrivate := httptest.NewServer(dst.Handler(false))
	defer dstPrivate.Close()
	target := strings.TrimPrefix(dstPrivate.URL, "http://")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srcC := NewClient("src", strings.TrimPrefix(srcAPI.URL, "http://"), nil)
	dstC := NewClient("dst", strings.TrimPrefix(dstAPI.URL, "http://"), nil)
	tok, err := dstC.NewSink(ctx)
	if err != nil || len(tok) < 32 {
		t.Fatalf("NewSink: %q %v", tok, err)
	}
	rep, err := srcC.MeasureLink(ctx, LinkRequest{Send: Send{Target: target, Token: tok}, Pings: 5, Bytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.RTTs) != 5 || rep.MedianRTT() <= 0 || rep.Transfer.Bytes != 8<<20 || rep.Transfer.Throughput() <= 0 {
		t.Fatalf("report: %+v", rep)
	}
	if _, err := srcC.MeasureLink(ctx, LinkRequest{Send: Send{Target: target, Token: tok + "x"}, Pings: 1}); err == nil ||
		!strings.Contains(err.Error(), "token") {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := srcC.MeasureLink(ctx, LinkRequest{Send: Send{Target: target, Token: tok}, Bytes: MaxLinkBytes + 1}); err == nil {
		t.Fatal("oversized transfer accepted")
	}
	// The private listener does not issue tokens.
	privC := NewClient("dst-private", target, nil)
	if _, err := privC.NewSink(ctx); err == nil {
		t.Fatal("the private listener issued a sink token")
	}
}

func TestMedianRTT(t *testing.T) {
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{{nil, 0}, {[]time.Duration{3, 1, 2}, 2}, {[]time.Duration{4, 1, 3, 2}, 2}} {
		if got := (LinkReport{RTTs: tc.in}).MedianRTT(); got != tc.want {
			t.Errorf("MedianRTT(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
