package agent

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Cut closes a client's open connections (a request in flight fails at
// once, while the agent finishes it) and refuses new ones with ErrCut
// until Heal; then requests go through again.
func TestClientCutAndHeal(t *testing.T) {
	release, served := make(chan struct{}), make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/incoming/"+testID+"/restore" {
			<-release
		}
		served <- struct{}{}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	defer close(release)
	c := NewClient("vm2", strings.TrimPrefix(srv.URL, "http://"), nil)
	if _, err := c.Info(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-served
	errc := make(chan error, 1)
	go func() {
		_, err := c.Restore(t.Context(), testID)
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // the restore is in flight
	c.Cut()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("the restore in flight succeeded through the cut")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the restore in flight did not fail when the client was cut off")
	}
	if _, err := c.Info(t.Context()); !errors.Is(err, ErrCut) {
		t.Errorf("a request while cut off: %v, want ErrCut", err)
	}
	c.Heal()
	if _, err := c.Info(t.Context()); err != nil {
		t.Errorf("after Heal: %v", err)
	}
}
