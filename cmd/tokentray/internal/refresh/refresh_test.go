package refresh

import (
	"context"
	"slices"
	"testing"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/iostreams"
)

func TestFlagsAnywhere(t *testing.T) {
	for _, args := range [][]string{
		{"--force", "work", "home"},
		{"work", "--force", "home"},
		{"work", "home", "--force"},
	} {
		ios, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdRefresh(&cmdutil.Factory{IO: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if !got.Force || !slices.Equal(got.Accounts, []string{"work", "home"}) {
			t.Errorf("%q: %+v", args, got)
		}
	}
}
