package config

import (
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// lineIndex maps dotted key paths ("account.work.client_id", and table
// headers such as "account.work") to the line they are defined on, so
// validation errors can point at the line to fix.
type lineIndex map[string]int

func keyLines(data []byte) lineIndex {
	idx := lineIndex{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	for p.NextExpression() {
		n := p.Expression()
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = keyParts(n.Key())
			idx.add(table, &p, n)
		case unstable.KeyValue:
			full := append(append([]string{}, table...), keyParts(n.Key())...)
			idx.add(full, &p, n)
		}
	}
	return idx
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

func (idx lineIndex) add(key []string, p *unstable.Parser, n *unstable.Node) {
	k := strings.Join(key, ".")
	if _, ok := idx[k]; ok {
		return
	}
	it := n.Key()
	if it.Next() {
		if r := it.Node().Raw; r.Length > 0 {
			idx[k] = p.Shape(r).Start.Line
			return
		}
	}
	if n.Raw.Length > 0 {
		idx[k] = p.Shape(n.Raw).Start.Line
	}
}

// find returns the line of table.name.key, falling back to the table header.
func (idx lineIndex) find(table, name, key string) int {
	if key != "" {
		if l, ok := idx[table+"."+name+"."+key]; ok {
			return l
		}
	}
	return idx[table+"."+name]
}
