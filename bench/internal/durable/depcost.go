package durable

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Dep is what building on a store costs a program, measured on the
// smallest program using it (internal/durable/depcost/NAME).
type Dep struct {
	Store   string
	Binary  int64    // bytes, built with -trimpath -ldflags=-s -w, as for a device
	Modules []string // modules besides the program's own
	Cgo     []string // packages with cgo files: a C toolchain for every target
	NoCgo   bool     // whether it builds with CGO_ENABLED=0 (cross-compiling)
}

// DepNames are the depcost programs, one per file format.
var DepNames = []string{"sturdy", "bbolt", "pebble"}

// DepCosts builds the named depcost programs of the module in moduleDir
// (the bench directory) with the go command, into tmp.
func DepCosts(moduleDir, tmp string, names []string) ([]Dep, error) {
	var deps []Dep
	for _, name := range names {
		pkg := "./internal/durable/depcost/" + name
		d := Dep{Store: name}
		bin := filepath.Join(tmp, name)
		if _, err := goCmd(moduleDir, nil, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, pkg); err != nil {
			return nil, err
		}
		st, err := os.Stat(bin)
		if err != nil {
			return nil, err
		}
		d.Binary = st.Size()
		out, err := goCmd(moduleDir, nil, "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}", pkg)
		if err != nil {
			return nil, err
		}
		d.Modules = uniqueLines(out)
		if out, err = goCmd(moduleDir, nil, "list", "-deps", "-f", "{{if .CgoFiles}}{{.ImportPath}}{{end}}", pkg); err != nil {
			return nil, err
		}
		d.Cgo = uniqueLines(out)
		_, err = goCmd(moduleDir, []string{"CGO_ENABLED=0"}, "build", "-o", bin, pkg)
		d.NoCgo = err == nil
		if err := os.Remove(bin); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		deps = append(deps, d)
	}
	return deps, nil
}

func goCmd(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", errors.New("go " + strings.Join(args, " ") + ": " + err.Error() + ": " + firstLine(stderr.String()))
	}
	return string(out), nil
}

func uniqueLines(s string) []string {
	var l []string
	for _, x := range strings.Fields(s) {
		if !slices.Contains(l, x) {
			l = append(l, x)
		}
	}
	slices.Sort(l)
	return l
}
