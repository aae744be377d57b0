package cmd

import (
	"errors"
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/leakdiff/leakdiff/rules"
)

// loadCatalog builds the catalog analyze and diff use: the built-in rules
// unless noBuiltin, then each file in order. Any lint problem is a usage
// error listing every problem, one per line.
func loadCatalog(files []string, noBuiltin bool) (*rules.Catalog, error) {
	base := rules.Builtin()
	if noBuiltin {
		base = &rules.Catalog{Version: rules.Version}
	}
	var extra []*rules.Catalog
	var problems []error
	for _, f := range files {
		c, err := rules.Load(f)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		extra = append(extra, c)
	}
	if len(problems) > 0 {
		return nil, &exitError{code: ExitUsage, err: fmt.Errorf("rule file problems, nothing analysed:\n%w", errors.Join(problems...))}
	}
	return rules.Merge(base, extra...), nil
}

func newRulesCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "rules",
		Short: "List, show and check leak rules",
		Long: `Rules name known leaks: when a finding's site and stack match a rule, the
report says what the leak usually is and how it is fixed. The built-in catalog
is embedded; add or override rules with --rules FILE on analyze (same YAML
schema, see the README).`,
	}
	var files []string
	var noBuiltin bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the rules: id, kind and title",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cat, err := loadCatalog(files, noBuiltin)
			if err != nil {
				return err
			}
			t := tablewriter.NewTable(c.OutOrStdout())
			t.Header([]string{"id", "kind", "title", "defined in"})
			for _, r := range cat.Rules {
				if err := t.Append([]string{r.ID, r.Kind, r.Title, fmt.Sprintf("%s:%d", r.File, r.Line)}); err != nil {
					return err
				}
			}
			return t.Render()
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Print one rule in full, as a rule file of its own",
		Long: `Print one rule as a rule file that leakdiff rules lint and analyze --rules
accept: copy a built-in rule, adapt it, and load it with --rules (a rule with
a built-in id replaces the built-in one).`,
		Example: `  leakdiff rules show grpc-stream-leak > my-grpc.yaml
  leakdiff rules lint my-grpc.yaml
  leakdiff analyze --rules my-grpc.yaml ./snapshots/`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			cat, err := loadCatalog(files, noBuiltin)
			if err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
			var ids []string
			for _, r := range cat.Rules {
				ids = append(ids, r.ID+"\t"+r.Title)
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cat, err := loadCatalog(files, noBuiltin)
			if err != nil {
				return err
			}
			r := cat.Rule(args[0])
			if r == nil {
				return usageErrorf("no rule %q (leakdiff rules list shows them)", args[0])
			}
			fmt.Fprintf(c.OutOrStdout(), "# rule %s, defined at %s:%d; a rule file of its own (leakdiff rules lint accepts it)\n", r.ID, r.File, r.Line)
			enc := yaml.NewEncoder(c.OutOrStdout())
			enc.SetIndent(2)
			if err := enc.Encode(&rules.Catalog{Version: rules.Version, Rules: []*rules.Rule{r}}); err != nil {
				return err
			}
			return enc.Close()
		},
	}
	lint := &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check rule files: schema, regexps, duplicate ids",
		Example: `  leakdiff rules lint my-rules.yaml
  leakdiff analyze --rules my-rules.yaml ./snapshots/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runLint(c.OutOrStdout(), args)
		},
	}
	for _, sub := range []*cobra.Command{list, show} {
		sub.Flags().StringArrayVar(&files, "rules", nil, "also load rules from this YAML `file` (repeatable)")
		sub.Flags().BoolVar(&noBuiltin, "no-builtin-rules", false, "leave out the built-in rules")
	}
	c.AddCommand(list, show, lint)
	return c
}

func runLint(stdout io.Writer, files []string) error {
	var problems []error
	for _, f := range files {
		cat, err := rules.Load(f)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok, %d rule(s)\n", f, len(cat.Rules))
	}
	if len(problems) > 0 {
		return &exitError{code: ExitUsage, err: errors.Join(problems...)}
	}
	return nil
}
