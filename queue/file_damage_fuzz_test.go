package queue

import (
	"math/rand/v2"
	"testing"
)

// FuzzFileDamage is the damage matrix with the fuzzer choosing: which of a
// few written logs, which file (any segment, or META), which damage, and
// where. Whatever it does, OpenFile must not panic or fail, and the three
// promises of the matrix must hold: no silent loss, no silent
// resurrection, no repeated number. Damage to META alone costs nothing
// but the report (LostMeta): the segments still hold every record and
// every number.
func FuzzFileDamage(f *testing.F) {
	for i := range uint8(len(damages)) {
		f.Add(uint8(0), uint8(0), i, uint64(1), uint32(7))
		f.Add(uint8(1), uint8(255), i, uint64(99), uint32(0))
	}
	f.Add(uint8(2), uint8(3), uint8(200), uint64(5), uint32(1))
	logs := map[uint8]*matrixLog{}
	f.Fuzz(func(t *testing.T, which, file, op uint8, seed uint64, extra uint32) {
		which %= 4
		ml := logs[which]
		if ml == nil {
			ml = writeMatrixLog(t, uint64(which))
			logs[which] = ml
		}
		files := map[string][]byte{}
		for n, b := range ml.files {
			files[n] = b
		}
		rng := rand.New(rand.NewPCG(seed, uint64(extra)))
		if int(op) >= len(damages) {
			// META: flipped, cut or deleted.
			b := append([]byte(nil), files[metaName]...)
			switch op % 3 {
			case 0:
				b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
			case 1:
				b = b[:rng.IntN(len(b))]
			default:
				b = nil
			}
			if b == nil {
				delete(files, metaName)
			} else {
				files[metaName] = b
			}
			checkMatrix(t, ml, files, "fuzz META")
			return
		}
		seg := ml.names[int(file)%len(ml.names)]
		damages[op].apply(rng, ml, seg, files)
		checkMatrix(t, ml, files, "fuzz")
	})
}
