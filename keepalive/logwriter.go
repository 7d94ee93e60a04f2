package keepalive

import (
	"bytes"
	"log/slog"
	"sync"
)

// slogWriter turns the output of an owner's login command into log lines.
type slogWriter struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func (w *slogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if line := bytes.TrimSpace(w.buf[:i]); len(line) > 0 {
			w.log.Info("login command: " + string(line))
		}
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 4096 {
		w.log.Info("login command: " + string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}
