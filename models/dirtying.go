package models

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
)

// DirtyingSchema is the version of the profile file's layout.
const DirtyingSchema = 1

// DirtyingProfile is how a container dirties its memory, measured by
// `migrlab profile` on one host under the container's load: its resident
// memory (what a full dump sends) and, for windows from a fraction of a
// second to a minute, the distinct pages it wrote within each window, in
// several passes. The median curve is what a pre-copy round of that length
// leaves to send; Fit is the simulator's memory model fitted to it.
type DirtyingProfile struct {
	Schema   int    `json:"schema"`
	Scenario string `json:"scenario"`
	// Image is the app's image ("" for the synthetic workload).
	Image string `json:"image,omitempty"`
	// Host is where the profile ran; Created when (RFC 3339).
	Host    string `json:"host"`
	Created string `json:"created"`
	// PageSize of the host, in bytes.
	PageSize int `json:"page_size"`
	// Resident is the private memory a full dump writes, at the end of each
	// pass (median over passes).
	Resident ByteSize `json:"resident_bytes"`
	// ResidentStart is the same right after the warmup, before the first
	// pass (0 in profiles made before it was measured).
	ResidentStart ByteSize `json:"resident_start_bytes,omitempty"`
	// CheckTouch is what the app's check wrote with its load paused
	// (memory.check_touch; 0: no check, or one that writes nothing).
	CheckTouch ByteSize `json:"check_touch_bytes,omitempty"`
	// Processes in the container.
	Processes int `json:"processes"`
	// Warmup is how long the container ran under its load before the first pass.
	Warmup Duration `json:"warmup_s"`
	// Growth is the resident memory at times after the warmup, of a
	// container that grew by more than 10 % while profiled (SetStart);
	// the fit then starts its memory at ResidentStart and grows it so.
	Growth []GrowthPoint `json:"growth,omitempty"`
	// Passes are the measurements, in order.
	Passes []DirtyingPass `json:"passes"`
	// Curve is the median over passes at each window, with the fitted curve.
	Curve []CurvePoint `json:"curve"`
	// Fit is the memory model fitted to Curve.
	Fit DirtyingFit `json:"fit"`
	// ModelError is the largest relative deviation of the measured curve
	// from the scenario's own model (SetModel; 0 when not set).
	ModelError float64 `json:"model_error,omitempty"`
	// Conditions are the CPU shares over the passes, as a real migration
	// records them (Extra keys: the orchestrator's busy and stolen shares,
	// the hosts'): a load profiled on a machine busy with other work runs
	// slower than it will beside its migrations (Envelope.CheckConditions).
	Conditions map[string]float64 `json:"conditions,omitempty"`
	// Provenance of the tool and hosts.
	Provenance Provenance `json:"provenance"`
}

// DirtyingPass is one pass: distinct bytes dirtied within each window since
// one clear of the soft-dirty bits.
type DirtyingPass struct {
	WindowsS []float64 `json:"windows_s"`
	Bytes    []int64   `json:"bytes"`
	// StartS is when the pass cleared the bits, in seconds after the
	// warmup; Grown is how much the container's resident memory grew from
	// the clear to each window (absent in profiles made before it was
	// measured).
	StartS float64 `json:"start_s,omitempty"`
	Grown  []int64 `json:"grown_bytes,omitempty"`
	// Marks are the whole-mapping marks within the pass (marks.go): the
	// counts include what they marked, the curve does not.
	Marks []MarkPoint `json:"marks,omitempty"`
}

// CurvePoint is the dirtying at one window: the median over passes, their
// range, and the fitted model's value.
type CurvePoint struct {
	WindowS float64 `json:"window_s"`
	Bytes   int64   `json:"bytes"`
	Min     int64   `json:"min_bytes"`
	Max     int64   `json:"max_bytes"`
	Fitted  int64   `json:"fitted_bytes"`
	// Model is what the profiled scenario's own memory and workload
	// describe (the synthetic workload's; with a calibration, its runtime
	// too): set by SetModel.
	Model int64 `json:"model_bytes,omitempty"`
}

// DirtyingFit is the profile as a scenario's memory and workload: the
// measured curve (Workload.Curve) and the memory model fitted to it, which
// extends the curve beyond its last window; MaxError is how far the fitted
// model is from the curve.
type DirtyingFit struct {
	Memory   Memory   `json:"memory"`
	Workload Workload `json:"workload"`
	// MaxError is the largest relative deviation of the fitted curve from
	// the measured median, over the windows.
	MaxError float64 `json:"max_error"`
}

// growthLimit is how much a container's resident memory may grow while it
// is profiled before the profile calls it growing.
const growthLimit = 0.10

// Grew reports whether the container's resident memory grew by more than
// 10 % while it was profiled.
func (p DirtyingProfile) Grew() bool {
	return p.ResidentStart > 0 && float64(p.Resident) > float64(p.ResidentStart)*(1+growthLimit)
}

// GrowthWarning says, when the container grew while it was profiled, by how
// much and what follows for its migrations ("" otherwise). A migration dumps
// the container as it is when it starts: the fit starts it at its size after
// the profile's warmup and grows it as measured, which holds for a migration
// that starts after the same warmup.
func (p DirtyingProfile) GrowthWarning() string {
	if !p.Grew() {
		return ""
	}
	how := "the prediction starts it at " + p.ResidentStart.String() + " and grows it as measured (memory.initial, memory.growth)"
	if len(p.Growth) == 0 {
		how = "the prediction uses " + p.Resident.String() + " (this profile did not measure its growth)"
	}
	return fmt.Sprintf("the container's memory grew from %s after its %s warmup to %s while profiled: it had not reached its "+
		"steady size; %s, which holds for a migration that starts after the same warmup: "+
		"profile it with the --warmup you migrate it after", p.ResidentStart, p.Warmup, p.Resident, how)
}

// SetStart records the resident memory measured right after the warmup
// and, when the container grew by more than 10 % while profiled and the
// passes measured how (DirtyingPass.Grown), its growth: Growth, and the fit's
// memory starting at start (memory.initial) and growing so (memory.growth)
// up to the largest resident memory seen (memory.size), with the marks a
// regular progression of them implies as it grows (Memory.CarriedMarks),
// and what it dirtied beyond what it added while it grew
// (Workload.Curve.Growing). passResident is each pass's resident bytes (as NewDirtyingProfile's;
// other lengths set start alone).
func (p *DirtyingProfile) SetStart(start ByteSize, passResident []int64) {
	p.ResidentStart = start
	p.Growth = nil
	p.Fit.Memory.Initial, p.Fit.Memory.Growth = 0, nil
	p.Fit.Workload.Curve.Growing = nil
	p.Fit.Memory.Marks = p.seenMarks()
	// The curve stays the median of every pass, a growing container's too.
	// Refitted from its first pass alone (the pass at the age a migration
	// starts, while its dataset fills), held-out set L's memcached and Redis
	// were predicted worse than from the median: downtime MAPE 4.8 / 7.6 /
	// 6.5 % against 4.9 / 5.9 / 6.3 %, bytes 0.3 / 5.5 / 5.3 % against
	// 0.3 / 6.8 / 3.4 % (docs/fidelity.md); one pass is too few to learn a
	// pace from.
	if !p.Grew() || len(passResident) != len(p.Passes) {
		return
	}
	ps := int64(p.PageSize)
	page := func(b int64) ByteSize { return ByteSize((b + ps/2) / ps * ps) }
	initial := max(page(int64(start)), ByteSize(ps))
	last, top := 0.0, initial
	for k, pass := range p.Passes {
		if len(pass.Grown) != len(pass.WindowsS) {
			p.Growth = nil
			return
		}
		base := int64(start)
		if k > 0 {
			base = passResident[k-1]
		}
		for j, w := range pass.WindowsS {
			at := pass.StartS + w
			if at <= last {
				continue
			}
			top = max(top, page(base+pass.Grown[j]))
			p.Growth = append(p.Growth, GrowthPoint{After: Duration(at * 1e9), Bytes: top})
			last = at
		}
	}
	if len(p.Growth) == 0 {
		return
	}
	p.Fit.Memory.Size = max(p.Fit.Memory.Size, top)
	p.Fit.Memory.Initial = initial
	p.Fit.Memory.Growth = p.Growth
	p.Fit.Memory.Marks = p.Fit.Memory.CarriedMarks()
	if !p.Fit.Workload.Curve.Empty() {
		p.Fit.Workload.Curve.Growing = p.growingCurve()
	}
}

// SetCheckTouch records what the app's check writes before a freeze, in the
// profile and its fit's memory (at most the fit's memory size).
func (p *DirtyingProfile) SetCheckTouch(b ByteSize) {
	b = max(0, min(b, p.Fit.Memory.Size))
	p.CheckTouch, p.Fit.Memory.CheckTouch = b, b
}

// NewDirtyingProfile builds the curve and the fit from the passes (each with
// the same number of windows); resident is each pass's resident bytes.
func NewDirtyingProfile(passes []DirtyingPass, resident []int64, pageSize int) (DirtyingProfile, error) {
	p := DirtyingProfile{Schema: DirtyingSchema, PageSize: pageSize, Passes: passes}
	if len(passes) == 0 || len(passes[0].WindowsS) == 0 {
		return p, fmt.Errorf("profile: no passes measured")
	}
	if pageSize <= 0 {
		return p, fmt.Errorf("profile: page size %d", pageSize)
	}
	k := len(passes[0].WindowsS)
	for i, ps := range passes {
		if len(ps.WindowsS) != k || len(ps.Bytes) != k {
			return p, fmt.Errorf("profile: pass %d has %d windows and %d counts, want %d", i, len(ps.WindowsS), len(ps.Bytes), k)
		}
	}
	p.Resident = ByteSize(medianInt(resident))
	p.fitCurve(resident)
	return p, nil
}

// fitCurve sets Curve and Fit from the passes' counts less their marks
// (resident: each pass's resident bytes): at each window the median over
// the passes, their range, and the memory model fitted to it, with the
// passes' marks (seenMarks).
func (p *DirtyingProfile) fitCurve(resident []int64) {
	pageSize := p.PageSize
	written := make([][]int64, len(p.Passes))
	for i, ps := range p.Passes {
		var r int64
		if i < len(resident) {
			r = resident[i]
		}
		written[i] = ps.writtenCounts(r)
	}
	k := len(p.Passes[0].WindowsS)
	ws, pages := make([]float64, k), make([]float64, k)
	p.Curve = nil
	p.Fit = DirtyingFit{}
	for j := 0; j < k; j++ {
		var w []float64
		var b []int64
		for i, ps := range p.Passes {
			w = append(w, ps.WindowsS[j])
			b = append(b, written[i][j])
		}
		sort.Float64s(w)
		slices.Sort(b)
		c := CurvePoint{WindowS: w[len(w)/2], Bytes: medianInt(b), Min: b[0], Max: b[len(b)-1]}
		if len(w)%2 == 0 {
			c.WindowS = (w[len(w)/2-1] + w[len(w)/2]) / 2
		}
		// Pages dirtied and then freed (an allocator returning memory, a
		// table rehashed while a dataset fills) leave the count: a longer
		// window can count fewer. What a round sends never shrinks with its
		// length, so the curve keeps the highest count so far.
		if j > 0 {
			c.Bytes = max(c.Bytes, p.Curve[j-1].Bytes)
		}
		p.Curve = append(p.Curve, c)
		ws[j], pages[j] = c.WindowS, float64(c.Bytes)/float64(pageSize)
	}
	m := FitDirtying(ws, pages, float64(p.Resident)/float64(pageSize))
	for j := range p.Curve {
		p.Curve[j].Fitted = int64(math.Round(m.At(ws[j]))) * int64(pageSize)
		if meas := float64(p.Curve[j].Bytes); meas > 0 {
			p.Fit.MaxError = max(p.Fit.MaxError, math.Abs(float64(p.Curve[j].Fitted)-meas)/meas)
		}
	}
	p.Fit.Memory, p.Fit.Workload = m.Scenario(p.Resident, pageSize)
	// The measured curve itself, which the simulator follows where it was
	// measured; the fitted model extends it.
	for _, c := range p.Curve {
		b := (c.Bytes + int64(pageSize)/2) / int64(pageSize) * int64(pageSize)
		p.Fit.Workload.Curve.Points = append(p.Fit.Workload.Curve.Points, DirtyPoint{Window: Duration(c.WindowS * 1e9), Bytes: ByteSize(b)})
		p.Fit.Memory.Size = max(p.Fit.Memory.Size, ByteSize(b))
	}
	p.Fit.Memory.Marks = p.seenMarks()
}

// seenMarks are the passes' marks as memory.marks (marksOf), each at most
// the fit's memory.size.
func (p DirtyingProfile) seenMarks() []Mark {
	ks := marksOf(p.Passes, p.PageSize)
	for i := range ks {
		ks[i].Bytes = min(ks[i].Bytes, p.Fit.Memory.Size)
	}
	return ks
}

func medianInt(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

// Scenario maps the model onto a scenario's memory and workload: the pools
// are the WWS (the hotter one its hot part), Hot is the runtime's hot
// memory and the Runtime pool the rest of the runtime's, written at its
// rate, and the memory is resident bytes (at least what the model needs).
func (m DirtyingModel) Scenario(resident ByteSize, pageSize int) (Memory, Workload) {
	ps := int64(pageSize)
	var wl Workload
	var n, r float64
	for _, p := range m.Pools {
		n, r = n+math.Round(p.N), r+p.Rate
	}
	if n >= 1 {
		wl.WWS = ByteSize(int64(n) * ps)
		wl.DirtyRate = Rate(r * float64(ps))
	}
	if len(m.Pools) == 2 && n >= 2 {
		wl.HotFraction = math.Round(m.Pools[0].N) / n
		wl.HotShare = m.Pools[0].Rate / r
	}
	hot := ByteSize(int64(m.Hot) * ps)
	wl.Runtime = RuntimeDirtying{Memory: hot, Hot: hot}
	if n := math.Round(m.Runtime.N); n >= 1 && m.Runtime.Rate > 0 {
		wl.Runtime.Memory += ByteSize(int64(n) * ps)
		wl.Runtime.Rate = Rate(m.Runtime.Rate * float64(ps))
	}
	rt := int64(wl.Runtime.Memory)
	size := (int64(resident) + ps - 1) / ps * ps
	size = max(size, int64(wl.WWS)+rt, ps)
	if wl.WWS == 0 {
		// No pool: the WWS must still be set below the memory, as the runtime's.
		wl.WWS = ByteSize(ps)
		size = max(size, int64(wl.WWS)+rt)
	}
	return Memory{Size: ByteSize(size), PageSize: ByteSize(ps)}, wl
}

// DirtyingModelOf is the dirtying curve a scenario's memory and workload
// describe (defaults applied, no rate trace): the model a profile is
// fitted to, for comparing a profile with the scenario it ran.
func DirtyingModelOf(s Scenario) DirtyingModel {
	s = s.WithDefaults()
	ps := float64(s.Memory.PageSize)
	w := math.Max(1, math.Floor(float64(s.Workload.WWSBytes(s.Memory))/ps))
	r := float64(s.Workload.DirtyRate) / ps
	var m DirtyingModel
	if s.Workload.HotFraction > 0 && w >= 2 {
		h := math.Min(math.Max(math.Round(s.Workload.HotFraction*w), 1), w-1)
		m.Pools = []WritePool{{N: h, Rate: r * s.Workload.HotShare}, {N: w - h, Rate: r * (1 - s.Workload.HotShare)}}
	} else {
		m.Pools = []WritePool{{N: w, Rate: r}}
	}
	rt := s.Workload.Runtime
	m.Hot = math.Floor(float64(rt.Hot) / ps)
	extent := float64(rt.Memory - rt.Hot)
	if rt.Fresh { // as a pool: the memory beside the WWS, which fresh writes fill almost one page per write
		extent = float64(rt.FreshExtent(s.Memory, s.Workload.WWSBytes(s.Memory)))
	}
	if cold := math.Floor(extent / ps); rt.Rate > 0 && cold >= 1 {
		m.Runtime = WritePool{N: cold, Rate: float64(rt.Rate) / ps}
	}
	return m
}

// SetModel sets every curve point's Model from the dirtying scenario s
// describes, and returns the largest relative deviation of the measured
// median from it: how well the simulator's memory model of the synthetic
// workload matches what the kernel counted.
func (p *DirtyingProfile) SetModel(s Scenario) float64 {
	m := DirtyingModelOf(s)
	var worst float64
	for i := range p.Curve {
		c := &p.Curve[i]
		c.Model = int64(math.Round(m.At(c.WindowS))) * int64(p.PageSize)
		if c.Model > 0 {
			worst = max(worst, math.Abs(float64(c.Bytes)-float64(c.Model))/float64(c.Model))
		}
	}
	return worst
}

// WriteDirtyingProfile writes p as indented JSON.
func WriteDirtyingProfile(w io.Writer, p DirtyingProfile) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}
