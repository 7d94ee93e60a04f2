package autostart

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf16"
)

// A reader for binary property lists ("bplist00"), the format that
// `defaults write`, `plutil -convert binary1` and most macOS tools save
// launch agents in. It decodes the whole object graph into Go values:
// map[string]any (dict), []any (array, set), bool, int64, float64,
// string, []byte (data), float64 seconds since 2001 (date) and uint64
// (UID). Malformed input is an error, never a panic or a loop: every
// offset and length is checked, and a container may not contain itself.

var errBplist = errors.New("malformed binary plist")

const bplistMagic = "bplist00"

func isBinaryPlist(data []byte) bool { return bytes.HasPrefix(data, []byte(bplistMagic)) }

type bplist struct {
	data      []byte
	offsets   []uint64
	refSize   int
	decoding  []bool // objects being decoded, for cycle detection
	objBudget int    // bounds the work of shared references
}

// parseBinaryPlist returns the top object of a binary plist.
func parseBinaryPlist(data []byte) (any, error) {
	if !isBinaryPlist(data) || len(data) < len(bplistMagic)+32 {
		return nil, errBplist
	}
	tr := data[len(data)-32:]
	offSize, refSize := int(tr[6]), int(tr[7])
	numObjects := binary.BigEndian.Uint64(tr[8:16])
	top := binary.BigEndian.Uint64(tr[16:24])
	tableAt := binary.BigEndian.Uint64(tr[24:32])
	body := uint64(len(data) - 32)
	if offSize < 1 || offSize > 8 || refSize < 1 || refSize > 8 || numObjects == 0 || top >= numObjects ||
		tableAt < uint64(len(bplistMagic)) || tableAt > body || numObjects > (body-tableAt)/uint64(offSize) {
		return nil, errBplist
	}
	p := &bplist{data: data[:body], refSize: refSize, decoding: make([]bool, numObjects), objBudget: 1 << 16}
	p.offsets = make([]uint64, numObjects)
	for i := range p.offsets {
		at := tableAt + uint64(i*offSize)
		p.offsets[i] = readUint(data[at : at+uint64(offSize)])
		if p.offsets[i] < uint64(len(bplistMagic)) || p.offsets[i] >= tableAt {
			return nil, errBplist
		}
	}
	return p.object(top)
}

func readUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// bytesAt returns n bytes at off, or an error past the end.
func (p *bplist) bytesAt(off, n uint64) ([]byte, error) {
	if off > uint64(len(p.data)) || n > uint64(len(p.data))-off {
		return nil, errBplist
	}
	return p.data[off : off+n], nil
}

// count reads the length of an object whose marker's low nibble is
// info: the nibble itself, or, when it is 0xF, an int object that
// follows. It returns the length and the offset of the contents.
func (p *bplist) count(off uint64, info byte) (uint64, uint64, error) {
	if info != 0xF {
		return uint64(info), off + 1, nil
	}
	m, err := p.bytesAt(off+1, 1)
	if err != nil || m[0]>>4 != 0x1 || m[0]&0xF > 3 {
		return 0, 0, errBplist
	}
	size := uint64(1) << (m[0] & 0xF)
	b, err := p.bytesAt(off+2, size)
	if err != nil {
		return 0, 0, err
	}
	return readUint(b), off + 2 + size, nil
}

func (p *bplist) object(ref uint64) (any, error) {
	if ref >= uint64(len(p.offsets)) || p.decoding[ref] {
		return nil, errBplist
	}
	if p.objBudget--; p.objBudget < 0 {
		return nil, fmt.Errorf("%w: too many objects", errBplist)
	}
	off := p.offsets[ref]
	m, err := p.bytesAt(off, 1)
	if err != nil {
		return nil, err
	}
	kind, info := m[0]>>4, m[0]&0xF
	switch kind {
	case 0x0:
		switch info {
		case 0x8:
			return false, nil
		case 0x9:
			return true, nil
		case 0x0:
			return nil, nil
		}
	case 0x1: // int of 2^info bytes; 8 bytes are signed
		if info > 3 {
			break
		}
		b, err := p.bytesAt(off+1, 1<<info)
		if err != nil {
			return nil, err
		}
		return int64(readUint(b)), nil
	case 0x2: // real of 4 or 8 bytes
		b, err := p.bytesAt(off+1, 1<<info)
		if err != nil {
			return nil, err
		}
		switch info {
		case 2:
			return float64(math.Float32frombits(uint32(readUint(b)))), nil
		case 3:
			return math.Float64frombits(readUint(b)), nil
		}
	case 0x3: // date: float64 seconds since 2001-01-01
		if info != 3 {
			break
		}
		b, err := p.bytesAt(off+1, 8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(readUint(b)), nil
	case 0x4, 0x5, 0x6: // data, ASCII string, UTF-16BE string
		n, at, err := p.count(off, info)
		if err != nil {
			return nil, err
		}
		if kind == 0x6 {
			if n > math.MaxUint32 {
				return nil, errBplist
			}
			b, err := p.bytesAt(at, 2*n)
			if err != nil {
				return nil, err
			}
			u := make([]uint16, n)
			for i := range u {
				u[i] = binary.BigEndian.Uint16(b[2*i:])
			}
			return string(utf16.Decode(u)), nil
		}
		b, err := p.bytesAt(at, n)
		if err != nil {
			return nil, err
		}
		if kind == 0x5 {
			return string(b), nil
		}
		return bytes.Clone(b), nil
	case 0x8: // UID
		b, err := p.bytesAt(off+1, uint64(info)+1)
		if err != nil {
			return nil, err
		}
		return readUint(b), nil
	case 0xA, 0xC, 0xD: // array, set, dict
		n, at, err := p.count(off, info)
		if err != nil {
			return nil, err
		}
		refs := n
		if kind == 0xD {
			refs = 2 * n
		}
		if n > uint64(len(p.data)) {
			return nil, errBplist
		}
		b, err := p.bytesAt(at, refs*uint64(p.refSize))
		if err != nil {
			return nil, err
		}
		at2 := func(i uint64) uint64 { return readUint(b[i*uint64(p.refSize) : (i+1)*uint64(p.refSize)]) }
		p.decoding[ref] = true
		defer func() { p.decoding[ref] = false }()
		if kind != 0xD {
			list := make([]any, 0, n)
			for i := range n {
				v, err := p.object(at2(i))
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			return list, nil
		}
		dict := make(map[string]any, n)
		for i := range n {
			k, err := p.object(at2(i))
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("%w: a dictionary key is not a string", errBplist)
			}
			v, err := p.object(at2(n + i))
			if err != nil {
				return nil, err
			}
			dict[key] = v
		}
		return dict, nil
	}
	return nil, fmt.Errorf("%w: unknown object type 0x%02x", errBplist, m[0])
}
