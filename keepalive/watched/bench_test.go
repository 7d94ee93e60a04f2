package watched

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse measures parsing each tool's healthy store (done on every
// change the owner makes and once a minute).
func BenchmarkParse(b *testing.B) {
	for _, k := range Kinds {
		data, err := os.ReadFile(filepath.Join("testdata", string(k), "healthy.json"))
		if err != nil {
			b.Fatal(err)
		}
		provider := map[Kind]string{Opencode: "anthropic", Azure: azAlice}[k]
		b.Run(string(k), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(k, provider, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
