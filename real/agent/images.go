package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/containers/podman/v4/pkg/bindings/images"
)

// MaxImageArchive caps an image archive uploaded to LoadImage.
const MaxImageArchive int64 = 16 << 30

// ImageInfo is what a host has of an image.
type ImageInfo struct {
	// Name as asked.
	Name string `json:"name"`
	// Present reports that the host has it; ID is its ID then.
	Present bool   `json:"present"`
	ID      string `json:"id,omitempty"`
}

// LoadReport is what loading an image archive gave.
type LoadReport struct {
	// Names are the images the archive held.
	Names []string `json:"names"`
}

// image inspects an image by name or ID.
func (p *podman) image(ctx context.Context, name string) (ImageInfo, error) {
	pc, err := p.ctx(ctx)
	if err != nil {
		return ImageInfo{}, err
	}
	r, err := images.GetImage(pc, name, nil)
	if err != nil {
		if notFound(err) {
			return ImageInfo{Name: name}, nil
		}
		return ImageInfo{}, fmt.Errorf("inspect image %s: %w", name, err)
	}
	id := r.ID
	if id != "" && !strings.HasPrefix(id, "sha256:") {
		id = "sha256:" + id
	}
	return ImageInfo{Name: name, Present: true, ID: id}, nil
}

// loadImage loads an image archive (podman load).
func (p *podman) loadImage(ctx context.Context, r io.Reader) (LoadReport, error) {
	pc, err := p.ctx(ctx)
	if err != nil {
		return LoadReport{}, err
	}
	rep, err := images.Load(pc, r)
	if err != nil {
		return LoadReport{}, fmt.Errorf("podman load: %w", err)
	}
	return LoadReport{Names: rep.Names}, nil
}

// pullImage pulls an image from its registry (podman pull, quietly) and
// inspects it.
func (p *podman) pullImage(ctx context.Context, name string) (ImageInfo, error) {
	pc, err := p.ctx(ctx)
	if err != nil {
		return ImageInfo{}, err
	}
	if _, err := images.Pull(pc, name, new(images.PullOptions).WithQuiet(true)); err != nil {
		return ImageInfo{}, fmt.Errorf("podman pull %s: %w", name, err)
	}
	return p.image(ctx, name)
}

// imageName is the request's ?name=; without one it answers 400 naming op.
func imageName(w http.ResponseWriter, r *http.Request, op string) (string, bool) {
	name := r.URL.Query().Get("name")
	if name == "" {
		writeErr(w, statusErr(http.StatusBadRequest, fmt.Errorf("%s: give ?name=", op)))
	}
	return name, name != ""
}

// handlePullImage pulls the image ?name= from its registry.
func (s *Server) handlePullImage(w http.ResponseWriter, r *http.Request) {
	name, ok := imageName(w, r, "pull")
	if !ok {
		return
	}
	info, err := s.pod.pullImage(r.Context(), name)
	if err != nil {
		writeErr(w, statusErr(http.StatusBadGateway, err))
		return
	}
	writeJSON(w, info)
}

// handleImage reports whether the host has the image ?name=.
func (s *Server) handleImage(w http.ResponseWriter, r *http.Request) {
	name, ok := imageName(w, r, "image")
	if !ok {
		return
	}
	info, err := s.pod.image(r.Context(), name)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, info)
}

// handleLoadImage loads the image archive in the body (podman load).
func (s *Server) handleLoadImage(w http.ResponseWriter, r *http.Request) {
	body := http.MaxBytesReader(w, r.Body, MaxImageArchive)
	rep, err := s.pod.loadImage(r.Context(), body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			err = statusErr(http.StatusRequestEntityTooLarge, fmt.Errorf("image archive over %d bytes", MaxImageArchive))
		}
		writeErr(w, err)
		return
	}
	writeJSON(w, rep)
}
