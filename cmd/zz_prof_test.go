package cmd

import (
	"context"
	"io"
	"os"
	"runtime/pprof"
	"testing"
)

func TestZZProfile(t *testing.T) {
	dir := os.Getenv("ZZDIR")
	if dir == "" {
		t.Skip()
	}
	f, _ := os.Create("/tmp/ld.cpu")
	pprof.StartCPUProfile(f)
	code := Run(context.Background(), []string{"analyze", "-q", "--format", "json", "-o", "/dev/null", dir}, nil, io.Discard, os.Stderr)
	pprof.StopCPUProfile()
	f.Close()
	mf, _ := os.Create("/tmp/ld.mem")
	pprof.Lookup("allocs").WriteTo(mf, 0)
	mf.Close()
	t.Log("exit", code)
}
