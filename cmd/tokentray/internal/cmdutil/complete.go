package cmdutil

import (
	"log/slog"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/keepalive/config"
)

// CompleteAccounts completes account names for shell completion: the
// owned accounts of the config (the --config on the line counts), and the
// other tools' logins too when watched is set. many allows more than one
// name; names already on the line are not offered again.
func CompleteAccounts(f *Factory, watched, many bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if !many && len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if err := f.LoadPaths(); err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		cfg, err := config.Load(f.Paths.Config)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []cobra.Completion
		add := func(name, desc string) {
			if !slices.Contains(args, name) {
				out = append(out, cobra.CompletionWithDesc(name, desc))
			}
		}
		for _, a := range cfg.Accounts {
			add(a.Name, "owned account")
		}
		if watched {
			f.Config = cfg
			if f.Log == nil {
				f.Log = slog.New(slog.DiscardHandler)
			}
			for _, s := range f.WatchedSources() {
				add(s.Name, string(s.Kind)+" login")
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
