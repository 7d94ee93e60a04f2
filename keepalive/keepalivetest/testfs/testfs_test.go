package testfs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTempDirIsRemoved(t *testing.T) {
	var dir string
	t.Run("inner", func(t *testing.T) {
		dir = TempDir(t)
		sub := filepath.Join(dir, "a", "b")
		if err := os.MkdirAll(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{filepath.Join(dir, "x"), filepath.Join(sub, "y"), filepath.Join(dir, "a", ".lock")} {
			if err := os.WriteFile(f, []byte("z"), 0o400); err != nil {
				t.Fatal(err)
			}
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after the test: %v", dir, err)
	}
}

func TestRemoveTree(t *testing.T) {
	dir := TempDir(t)
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "d1", "d2"), 0o700)
	os.WriteFile(filepath.Join(root, "d1", "d2", "f"), []byte("z"), 0o600)
	os.WriteFile(filepath.Join(root, "g"), []byte("z"), 0o400)
	if err := removeTree(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("root still exists: %v", err)
	}
	if err := removeTree(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("missing dir: %v", err)
	}
}

func TestSkipOnWine(t *testing.T) {
	t.Setenv(WineEnv, "1")
	skipped := true
	t.Run("inner", func(t *testing.T) {
		SkipOnWine(t, WineSymlinks)
		skipped = false
	})
	if !skipped {
		t.Error("SkipOnWine did not skip with the variable set")
	}
	t.Setenv(WineEnv, "")
	t.Run("inner2", func(t *testing.T) {
		SkipOnWine(t, WineSymlinks)
		skipped = false
	})
	if skipped {
		t.Error("SkipOnWine skipped without the variable")
	}
}
