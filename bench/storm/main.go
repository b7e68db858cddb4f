// Command storm simulates a fleet of Clients reconnecting after a server
// restart, on a virtual clock with the Client's own backoff code, and
// prints, for each reconnect policy, what the servers saw. It runs in
// seconds; nothing touches the network.
//
//	go run ./storm                                  # 1,000,000 Clients, 100,000 handshakes/s, down 10 s
//	go run ./storm -clients 5000 -down 2s -rate 0   # the scale scenario's restart, servers unbounded
//	go run ./storm -clients 5000 -down 2s -rate 0 -detect 500ms   # ... with the Clients noticing over 0.5 s
//	go run ./storm -grid -detect 500ms              # the grid of policies behind the default (about a minute)
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/storm"
)

func main() {
	var cfg storm.Config
	flag.IntVar(&cfg.Clients, "clients", 1_000_000, "Clients connected when the servers go down")
	flag.DurationVar(&cfg.Down, "down", 10*time.Second, "how long the servers stay down")
	flag.Float64Var(&cfg.Rate, "rate", 100_000, "handshakes a second the fleet completes once back; 0: unlimited")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the simulation")
	flag.DurationVar(&cfg.Detect, "detect", 0, "the Clients notice the servers' death at uniform random times within this")
	flag.DurationVar(&cfg.Latency, "latency", 0, "how long a failed attempt takes before the next wait starts")
	gridRun := flag.Bool("grid", false, "run the grid of policies (5,000 Clients, down 1, 2 and 5 s; -detect applies) instead")
	seeds := flag.Int("grid-seeds", 5, "seeds of each point of the grid")
	top := flag.Int("grid-top", 8, "policies shown of each family of the grid")
	flag.Parse()
	if *gridRun {
		grid(*seeds, cfg.Detect, *top)
		return
	}
	if cfg.Clients <= 0 {
		fmt.Fprintln(os.Stderr, "storm: -clients must be positive")
		os.Exit(2)
	}
	fmt.Printf("%d Clients, servers down %v, then %s handshakes/s; noticed within %v, attempts taking %v; seed %d\n\n",
		cfg.Clients, cfg.Down, rateName(cfg.Rate), cfg.Detect, cfg.Latency, cfg.Seed)
	fmt.Println("| policy | all back after | attempts per Client | peak 100 ms / mean | peak attempts per 100 ms | peak handshakes per 100 ms |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, p := range storm.Policies() {
		r := storm.Run(cfg, p)
		back := r.AllBack.Round(10 * time.Millisecond).String()
		if r.Incomplete > 0 {
			back = fmt.Sprintf("%d not back after %v", r.Incomplete, r.AllBack)
		}
		fmt.Printf("| %s | %s | %.2f | %.2f | %.0f | %d |\n", p.Name, back, r.PerClient, r.PeakOverMean(), r.Peak, r.AcceptedPeak)
	}
}

func rateName(r float64) string {
	if r <= 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%.0f", r)
}
