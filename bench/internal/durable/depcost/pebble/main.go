// Command pebble is the smallest program that keeps a durable queue in
// pebble: what the dependency cost table builds.
package main

import "github.com/cockroachdb/pebble/v2"

func main() {
	db, err := pebble.Open("q", &pebble.Options{})
	if err != nil {
		panic(err)
	}
	_ = db.Set([]byte("k"), []byte("x"), pebble.Sync)
	_ = db.Close()
}
