package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/leakdiff/leakdiff/internal/buildinfo"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print leakdiff's version and the Go version it was built with (also: leakdiff --version)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(c.OutOrStdout(), "leakdiff %s (%s)\n", buildinfo.Version(), buildinfo.GoVersion())
			return err
		},
	}
}
