package interop

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// requireBinary returns the path of a program a test runs (a proxy, a
// TLS terminator), looked up in PATH and in the sbin directories Debian
// installs daemons into. Where it is missing the test is skipped with a
// message saying what to install, except in CI (the CI variable set, as
// .ci/run does), where a missing program is a failure: CI installs them.
func requireBinary(t *testing.T, name, debianPackage string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/lib/squid"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := name + " unavailable: install it (apt-get install -y " + debianPackage + ")"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI must have it (.ci/run installs it)")
	}
	t.Skip(msg + "; skipped outside CI")
	return ""
}

// daemon is a proxy or server program a test runs in the foreground. It
// runs in a process group of its own, so that kill also ends the helper
// processes it forks (squid's authenticators, dante's children, nginx's
// worker).
type daemon struct {
	t    *testing.T
	name string
	bin  string
	args []string
	env  []string // added to the test's environment
	// listen are the addresses it must accept connections on before
	// start returns.
	listen []string
	// logFile is shown when it fails to start.
	logFile string

	cmd    *exec.Cmd
	exited chan error
}

// start runs the program and waits until it listens on every address.
// It is stopped when the test ends if it is still running.
func (d *daemon) start() error {
	d.cmd = exec.Command(d.bin, d.args...)
	d.cmd.Env = append(os.Environ(), d.env...)
	d.cmd.Stdout, d.cmd.Stderr = os.Stderr, os.Stderr
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		return err
	}
	d.exited = make(chan error, 1)
	exited := d.exited
	go func() { exited <- d.cmd.Wait() }()
	d.t.Cleanup(d.kill)
	for _, addr := range d.listen {
		if err := waitListening(addr, exited); err != nil {
			d.kill()
			log, _ := os.ReadFile(d.logFile)
			return errors.New(d.name + " did not start: " + err.Error() + "; its log:\n" + string(log))
		}
	}
	return nil
}

// kill ends the program and its helpers at once with SIGKILL, as a crash
// would, and waits for it. Idempotent.
func (d *daemon) kill() {
	if d.cmd == nil || d.exited == nil {
		return
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	<-d.exited
	d.exited = nil
}

// startDaemon starts a program built by build on a free loopback port,
// trying up to three ports in case another process takes the one chosen
// before the program binds it.
func startDaemon(t *testing.T, build func(addrs []string) *daemon, ports int) *daemon {
	t.Helper()
	var errs []string
	for try := 0; try < 3; try++ {
		addrs := make([]string, ports)
		for i := range addrs {
			addrs[i] = freePort(t)
		}
		d := build(addrs)
		d.t = t
		err := d.start()
		if err == nil {
			return d
		}
		errs = append(errs, err.Error())
	}
	t.Fatalf("could not start: %s", strings.Join(errs, "\n"))
	return nil
}

// restart starts the program again, on the same ports, after kill.
func (d *daemon) restart() {
	d.t.Helper()
	if err := d.start(); err != nil {
		d.t.Fatal(err)
	}
}
