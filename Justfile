# migrlab recipes. Run through scripts/just, which installs `just` if needed.
set shell := ["bash", "-euo", "pipefail", "-c"]

export PATH := "/usr/local/go/bin:" + env_var('HOME') + "/go/bin:" + env_var('PATH')

# Build tags the podman v4 bindings need (no C libraries, remote client only).
podman_tags := "remote exclude_graphdriver_btrfs btrfs_noversion exclude_graphdriver_devicemapper containers_image_openpgp"
commit := `git rev-parse --short=12 HEAD 2>/dev/null || echo unknown`
# -s -w: no symbol table nor DWARF (a third smaller: the demo copies this binary to
# every host as the agent, over SSH into emulated VMs).
ldflags := "-s -w -X github.com/migrlab/migrlab/internal/buildinfo.Commit=" + commit

# The main job: the demo (see README).
default: demo

# Build bin/migrlab (static: it is also the agent the demo installs on the hosts) and bin/migrlab-workload.
build:
    CGO_ENABLED=0 go build -tags '{{podman_tags}}' -ldflags '{{ldflags}}' -o bin/migrlab ./cmd/migrlab
    CGO_ENABLED=0 go build -o bin/migrlab-workload ./cmd/migrlab-workload

# The main job: bring up a local testbed, calibrate it, compare real and simulated
# cold, pre-copy and MiGrror migrations at three dirty rates, write out/demo/, tear down.
demo: build
    bin/migrlab demo --out out/demo

# The fidelity run of record: the demo with every validation scenario and technique migrated
# three times (repetitions spread between the calibration's), scored per migration and by each
# scenario's median; out/fidelity/. 22-30 minutes under TCG (f5-f10).
fidelity: build
    bin/migrlab demo --reps 3 --out out/fidelity

# The held-out fidelity run: the demo's testbed, calibration and scoring on the scenarios of
# examples/holdout/ (never used to develop the model; two are apps, Redis and memcached, built
# first, profiled and probed), each migrated twice; out/holdout/.
holdout: build
    [ -f out/redis.tar ] || go run ./cmd/migrlab-app-image redis out/redis.tar
    [ -f out/memcached.tar ] || go run ./cmd/migrlab-app-image memcached out/memcached.tar
    bin/migrlab demo --reps 2 --out out/holdout $(printf -- '-s %s ' examples/holdout/*.yaml)

# Cold, pre-copy and MiGrror across shaped links (examples/sweep-links.yaml: 256 KiB/s, 512 KiB/s,
# 1 MiB/s x 5 ms, 50 ms), for real on a local testbed and predicted by the calibrated
# simulator, with downtime and total time against link rate per latency; out/links/.
links: build
    bin/migrlab demo --out out/links -s examples/sweep-links.yaml

# Simulation only (seconds, no VMs): cold, pre-copy, MiGrror and post-copy on the built-in scenario.
sim-demo: build
    bin/migrlab sim --out out/sim/records.jsonl
    @echo "records: out/sim/records.jsonl (re-render with: bin/migrlab report -f markdown out/sim/records.jsonl)"

# Everything CI runs: static checks, unit tests, then the end-to-end tests on a local testbed.
test: check unit e2e

# Formatting, go.mod tidiness, vet and Terraform checks.
check:
    go mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
    test -z "$(gofmt -l $(git ls-files '*.go'))" || { gofmt -l $(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
    go vet -tags '{{podman_tags}}' ./...
    scripts/terraform-check

# Unit tests (no daemons, no VMs), under the race detector (it needs cgo: gcc).
unit:
    CGO_ENABLED=1 go test -race -tags '{{podman_tags}}' -count=1 ./...

# End-to-end tests: one local QEMU testbed shared by all e2e tests, torn down at the end.
e2e: build
    go test -tags 'e2e {{podman_tags}}' -count=1 -timeout 70m -v ./e2e/

# The whole fault x phase matrix on a local testbed (30 cells; the former 19 took about 40 minutes under TCG); the table
# goes to out/faults/faults.md (docs/faults.md). `test` runs a subset that covers every fault and phase.
faults: build
    MIGRLAB_E2E_FAULTS=all MIGRLAB_E2E_OUT=$PWD/out/faults go test -tags 'e2e {{podman_tags}}' -count=1 -timeout 85m -v -run 'TestFaultMatrix' ./e2e/

# The app e2e tests on a local testbed (your own container): Redis and memcached, their images built
# from Debian's packages with mmdebstrap (cached in the temporary directory), each migrated under its
# load with its state checked. `test` leaves memcached's out (MIGRLAB_E2E_APPS=all brings it in).
apps: build
    MIGRLAB_E2E_APPS=all go test -tags 'e2e {{podman_tags}}' -count=1 -timeout 70m -v -run '^TestApp' ./e2e/

# Your own containers measured and predicted (docs/profile.md): the Redis and memcached images built
# from Debian's packages (mmdebstrap, as root), then the demo on examples/app-redis.yaml and
# examples/app-memcached.yaml: each app profiled under its load, the testbed calibrated, each app
# migrated twice with cold, pre-copy and MiGrror and predicted from its profile; out/apps/.
app-fidelity: build
    [ -f out/redis.tar ] || go run ./cmd/migrlab-app-image redis out/redis.tar
    [ -f out/memcached.tar ] || go run ./cmd/migrlab-app-image memcached out/memcached.tar
    bin/migrlab demo --reps 2 --out out/apps -s examples/app-redis.yaml -s examples/app-memcached.yaml

# Engine and migration benchmarks.
bench:
    go test -run '^$' -bench . -benchmem ./sim/

# The recorded sweep figures (docs/concepts.md, Performance): the 10,000-scenario sweep, then
# the 99,856- and 1,000,000-scenario ones on one core and on two (GOMAXPROCS), each with its
# wall and CPU time and peak resident memory. Run it on an idle machine.
sweep-bench: build
    time bin/migrlab sweep -q --out /dev/null examples/sweep-10k.yaml
    for p in 1 2; do GOMAXPROCS=$p /usr/bin/time -f "sweep-100k GOMAXPROCS=$p: %e s wall, %U s user, %S s sys, %M KB peak RSS" bin/migrlab sweep -q --out /dev/null examples/large/sweep-100k.yaml; done
    /usr/bin/time -f "sweep-1m: %e s wall, %U s user, %S s sys, %M KB peak RSS" bin/migrlab sweep -q --out /dev/null examples/large/sweep-1m.yaml
