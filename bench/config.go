package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
	"github.com/sturdyws/sturdy/bench/internal/scenario"
)

// checkScale is the scale of -check and of the self-check: enough
// messages to cross buffer boundaries (push-1m still sends 3 MiB), few
// enough to finish in seconds.
const checkScale = 0.01

// selfCheckScale is the scale of the self-check before measuring.
const selfCheckScale = 0.005

// config is one invocation's settings.
type config struct {
	rounds     int
	scale      float64
	drivers    []drivers.Driver
	scenarios  []scenario.Scenario
	jsonPath   string
	mdPath     string
	cpuProfile string
	memProfile string
	check      bool
	control    bool
	observers  bool
	seed       uint64
	drivers.Options
}

// libNames returns the names -libs accepts.
func libNames() []string { return driverNames(drivers.All(drivers.Options{})) }

// driverNames returns the drivers' names, in order.
func driverNames(ds []drivers.Driver) []string {
	var n []string
	for _, d := range ds {
		n = append(n, d.Name())
	}
	return n
}

func scenarioNames() []string {
	var n []string
	for _, s := range scenario.All() {
		n = append(n, s.Name())
	}
	return n
}

// pickDrivers returns the drivers named in list (all when empty), in
// table order. The raw driver and gorilla are always kept: the ratios
// need them. With observers, the Client drivers with an Observer (and an
// identical copy without) follow the Client, and are kept with it.
// With control, an identical copy of the sturdy driver comes
// after it.
func pickDrivers(list string, control, observers bool, o drivers.Options) ([]drivers.Driver, error) {
	all := drivers.All(o)
	if observers {
		i := slices.IndexFunc(all, func(d drivers.Driver) bool { return d.Name() == "sturdy-client" })
		all = slices.Insert(all, i+1, drivers.Observers()...)
	}
	if control {
		all = slices.Insert(all, 1, drivers.Driver(drivers.Control{}))
	}
	if list == "" {
		return all, nil
	}
	want := strings.Split(list, ",")
	for _, w := range want {
		if !slices.Contains(libNames(), w) {
			return nil, fmt.Errorf("unknown library %q (have %s)", w, strings.Join(libNames(), ","))
		}
	}
	var out []drivers.Driver
	for _, d := range all {
		keep := d.Name() == "raw" || d.Name() == "gorilla" || d.Name() == "sturdy-control" ||
			(observers && strings.HasPrefix(d.Name(), "sturdy-client"))
		if keep || slices.Contains(want, d.Name()) {
			out = append(out, d)
		}
	}
	return out, nil
}

// pickScenarios returns the scenarios named in list (all when empty).
func pickScenarios(list string) ([]scenario.Scenario, error) {
	all := scenario.All()
	if list == "" {
		return all, nil
	}
	want := strings.Split(list, ",")
	for _, w := range want {
		if !slices.Contains(scenarioNames(), w) {
			return nil, fmt.Errorf("unknown scenario %q (have %s)", w, strings.Join(scenarioNames(), ","))
		}
	}
	var out []scenario.Scenario
	for _, s := range all {
		if slices.Contains(want, s.Name()) {
			out = append(out, s)
		}
	}
	return out, nil
}
