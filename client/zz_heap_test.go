package client_test

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/wstest"
)

func TestZZHeap(t *testing.T) {
	runtime.MemProfileRate = 1
	srv := wstest.Start(t, wstest.Options{})
	ctx := context.Background()
	var cs []*client.Client
	for range 200 {
		c, err := client.Start(ctx, client.Options{URL: srv.URL(), Heartbeat: heartbeat.Options{Interval: 100 * time.Millisecond, Timeout: 90 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	for _, c := range cs {
		_ = c.WaitConnected(ctx)
	}
	time.Sleep(time.Second)
	runtime.GC()
	runtime.GC()
	f, _ := os.Create("/tmp/heapprobe/heap.prof")
	pprof.Lookup("heap").WriteTo(f, 0)
	f.Close()
	for _, c := range cs {
		c.Close()
	}
	srv.Close()
}
