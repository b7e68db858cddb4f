// Command bbolt is the smallest program that keeps a durable queue in
// bbolt: what the dependency cost table builds.
package main

import bolt "go.etcd.io/bbolt"

func main() {
	db, err := bolt.Open("q.db", 0o600, nil)
	if err != nil {
		panic(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("q"))
		if err != nil {
			return err
		}
		n, _ := b.NextSequence()
		return b.Put([]byte{byte(n)}, []byte("x"))
	})
	_ = db.Close()
}
