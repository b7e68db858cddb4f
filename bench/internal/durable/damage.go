package durable

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
)

// Op is a kind of damage done to one file: what disks, operators and
// power cuts do.
type Op int

const (
	// OpNone leaves the file alone: the control, which must lose nothing.
	OpNone Op = iota
	// OpDelete removes the file (an operator cleaning up, a lost inode).
	OpDelete
	// OpTruncate cuts the file at a random length (a lost size update,
	// a full disk).
	OpTruncate
	// OpFlip inverts one to eight random bits (media or memory errors).
	OpFlip
	// OpZero zeroes one random 4 KiB-aligned block (a page that never
	// reached the disk before a power cut).
	OpZero
)

// Ops lists every kind of damage, the control first.
var Ops = []Op{OpNone, OpDelete, OpTruncate, OpFlip, OpZero}

var opNames = [...]string{"none", "delete", "truncate", "flip", "zero"}

// String returns the op's short name.
func (o Op) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// zeroBlock is the block OpZero clears: a page of most file systems.
const zeroBlock = 4 << 10

// Damage does op to the file at path, with rng choosing where, and
// describes what it did. It fails when the file could not be changed as
// asked: OpTruncate, OpFlip and OpZero need a file that is not empty,
// and OpZero one whose chosen block is not already zero.
func Damage(path string, op Op, rng *rand.Rand) (string, error) {
	if op == OpNone {
		return "none", nil
	}
	if op == OpDelete {
		return "deleted", os.Remove(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if len(data) == 0 {
		return "", errEmpty
	}
	var what string
	switch op {
	case OpTruncate:
		n := rng.IntN(len(data))
		what = fmt.Sprintf("cut to %d of %d bytes", n, len(data))
		data = data[:n]
	case OpFlip:
		bits := 1 + rng.IntN(8)
		for range bits {
			at := rng.IntN(len(data))
			data[at] ^= 1 << rng.IntN(8)
		}
		what = fmt.Sprintf("%d bits flipped", bits)
	case OpZero:
		// Prefer a block holding data: zeroing zeros changes nothing.
		blocks := (len(data) + zeroBlock - 1) / zeroBlock
		start := rng.IntN(blocks)
		found := false
		for i := range blocks {
			b := (start + i) % blocks
			end := min(len(data), (b+1)*zeroBlock)
			if slices.ContainsFunc(data[b*zeroBlock:end], func(c byte) bool { return c != 0 }) {
				clear(data[b*zeroBlock : end])
				what = fmt.Sprintf("block %d of %d zeroed", b, blocks)
				found = true
				break
			}
		}
		if !found {
			return "", errEmpty
		}
	default:
		return "", fmt.Errorf("durable: unknown damage %v", op)
	}
	return what, os.WriteFile(path, data, 0o600)
}

// errEmpty: the file holds nothing that the damage could change.
var errEmpty = errors.New("durable: nothing to damage")

// dataFiles lists the files of dir that damage may hit: all but the
// store's lock file, sorted by name.
func dataFiles(s Store, dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && !s.Lock(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// copyDir copies the regular files of src into a new dst.
func copyDir(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}
