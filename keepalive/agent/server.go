package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
)

// Server answers the commands' requests from the running instance.
type Server struct {
	// Service holds the tokens: Local{engine} in `tokentray run`.
	Service Service
	// Reload, when set, re-reads the configuration (after `add` or
	// `remove`).
	Reload func() error
	Log    *slog.Logger
}

// Serve accepts connections on ln until ctx ends, then closes ln and
// waits for the requests in progress.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		wg.Go(func() {
			defer conn.Close()
			if err := checkPeer(conn); err != nil {
				log.Warn("agent: connection refused", "err", err)
				return
			}
			s.handle(ctx, conn)
		})
	}
}

func (s *Server) handle(ctx context.Context, conn net.Conn) {
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var req request
	err := json.NewDecoder(io.LimitReader(conn, maxMessage)).Decode(&req)
	if errors.Is(err, io.EOF) {
		return // a probe (Connect)
	}
	var resp response
	if err != nil {
		resp = errorResponse(fmt.Errorf("malformed request: %w", err))
	} else {
		resp = s.answer(ctx, req)
	}
	conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	json.NewEncoder(conn).Encode(resp)
}

func (s *Server) answer(ctx context.Context, req request) response {
	switch req.Op {
	case opToken:
		tok, err := s.Service.Token(ctx, req.Account, time.Duration(req.MinValid)*time.Second)
		if err != nil {
			return errorResponse(err)
		}
		return response{AccessToken: tok.AccessToken.Reveal(), TokenType: tok.TokenType, Expiry: tok.Expiry}
	case opReject:
		marked, err := s.Service.Reject(ctx, req.Account, oauthflow.Secret(req.AccessToken))
		if err != nil {
			return errorResponse(err)
		}
		return response{Marked: marked}
	case opRefresh:
		st, refreshed, err := s.Service.Refresh(ctx, req.Account, req.Force)
		r := response{Account: &st, Refreshed: refreshed}
		if err != nil {
			e := errorResponse(err)
			r.Error, r.Code = e.Error, e.Code
		}
		return r
	case opStatus:
		snap, err := s.Service.Status(ctx)
		if err != nil {
			return errorResponse(err)
		}
		return response{Snapshot: &snap}
	case opReload:
		if s.Reload == nil {
			return response{Error: "this instance cannot reload its configuration"}
		}
		if err := s.Reload(); err != nil {
			return errorResponse(err)
		}
		return response{}
	}
	return response{Error: "unknown request " + req.Op}
}
