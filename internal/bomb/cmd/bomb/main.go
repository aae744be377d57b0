// Command bomb writes a gzip decompression bomb, for measuring how
// leakdiff refuses one:
//
//	go run ./internal/bomb/cmd/bomb -gib 4 -o /tmp/bomb.pb.gz
//	go run ./internal/bomb/cmd/bomb -gib 4 -members -o /tmp/bomb-members.pb.gz
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/leakdiff/leakdiff/internal/bomb"
)

func main() {
	gib := flag.Int64("gib", 4, "inflated size in GiB")
	members := flag.Bool("members", false, "one gzip member per MiB instead of one member")
	out := flag.String("o", "bomb.pb.gz", "output file")
	flag.Parse()
	if err := write(*out, *gib<<30, *members); err != nil {
		fmt.Fprintln(os.Stderr, "bomb:", err)
		os.Exit(1)
	}
}

func write(path string, size int64, members bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := bomb.Gzip(w, size, members); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
