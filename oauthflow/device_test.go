package oauthflow_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// sleeper is a Client.Sleep that advances a shared clock instead of
// waiting, records every wait and runs hook (if set) after each one, with
// the number of waits so far.
type sleeper struct {
	clk   *clock
	mu    sync.Mutex
	waits []time.Duration
	hook  func(n int)
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.clk.Advance(d)
	s.mu.Lock()
	s.waits = append(s.waits, d)
	n := len(s.waits)
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return nil
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// deviceSetup starts an issuer and a client sharing one fake clock.
func deviceSetup(t *testing.T, opts oauthtest.Options) (*oauthtest.Issuer, *oauthflow.Client, *sleeper) {
	t.Helper()
	clk := newClock()
	opts.Now = clk.Now
	iss := startIssuer(t, opts)
	s := &sleeper{clk: clk}
	c := newClient(iss, clk)
	c.Scopes = []string{"openid", "offline_access"}
	c.Sleep = s.Sleep
	return iss, c, s
}

func startDevice(t *testing.T, c *oauthflow.Client) *oauthflow.DeviceAuthorization {
	t.Helper()
	da, err := c.StartDevice(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return da
}

func pollDevice(t *testing.T, c *oauthflow.Client, da *oauthflow.DeviceAuthorization) (*oauthflow.Token, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.PollDevice(ctx, da)
}

func sameDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for n := range a {
		if a[n] != b[n] {
			return false
		}
	}
	return true
}

func TestDeviceApprove(t *testing.T) {
	iss, c, s := deviceSetup(t, oauthtest.Options{User: oauthtest.User{Email: "ada@example.com"}})
	start := c.Now()
	da := startDevice(t, c)
	if !regexp.MustCompile(`^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$`).MatchString(da.UserCode) {
		t.Errorf("user code %q", da.UserCode)
	}
	if da.VerificationURI != iss.VerificationURL() {
		t.Errorf("verification_uri %q", da.VerificationURI)
	}
	if u, err := url.Parse(da.VerificationURIComplete); err != nil || u.Query().Get("user_code") != da.UserCode {
		t.Errorf("verification_uri_complete %q", da.VerificationURIComplete)
	}
	if want := start.Add(oauthtest.DefaultDeviceTTL); !da.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt %v, want %v", da.ExpiresAt, want)
	}
	if da.Interval != 5*time.Second {
		t.Errorf("Interval %v", da.Interval)
	}
	s.hook = func(n int) {
		if n == 3 {
			if err := iss.ApproveDevice(strings.ToLower(da.UserCode)); err != nil {
				t.Error(err)
			}
		}
	}
	tok, err := pollDevice(t, c, da)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken.IsZero() || tok.RefreshToken.IsZero() || oauthflow.IDTokenEmail(tok.IDToken) != "ada@example.com" {
		t.Errorf("token %+v", tok)
	}
	if !iss.Valid(tok.AccessToken.Reveal()) {
		t.Error("the access token is not valid at the issuer")
	}
	// Two pending answers, then the tokens; every wait honours interval.
	if got, want := s.Waits(), []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}; !sameDurations(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	st := iss.Stats()
	if st.DevicePolls != 3 || st.DeviceGrants != 1 || st.DeviceSlowDowns != 0 {
		t.Errorf("stats %+v", st)
	}
	// The request carried the grant type and the device code (RFC 8628 §3.4).
	last := iss.Requests()[len(iss.Requests())-1]
	if last.Params["grant_type"] != oauthflow.DeviceGrantType || last.Params["device_code"] != "[redacted]" || last.Params["client_id"] != oauthtest.DefaultClientID {
		t.Errorf("poll params %v", last.Params)
	}
	// The device code is spent.
	if _, err := c.PollDevice(context.Background(), da); err == nil {
		t.Error("a second PollDevice succeeded")
	} else {
		assertNoSecrets(t, iss, err.Error())
	}
	// The login refreshes like any other.
	if _, err := c.Refresh(context.Background(), tok.RefreshToken); err != nil {
		t.Errorf("refresh of a device login: %v", err)
	}
}

func TestDeviceDeny(t *testing.T) {
	iss, c, s := deviceSetup(t, oauthtest.Options{})
	da := startDevice(t, c)
	s.hook = func(n int) {
		if n == 2 {
			iss.DenyDevice(da.UserCode)
		}
	}
	_, err := pollDevice(t, c, da)
	if !errors.Is(err, oauthflow.ErrDeviceDenied) {
		t.Fatalf("err = %v, want ErrDeviceDenied", err)
	}
	if !strings.Contains(err.Error(), "denied") {
		t.Errorf("message %q", err)
	}
	assertNoSecrets(t, iss, err.Error())
	if st := iss.Stats(); st.DevicePolls != 2 || st.DeviceGrants != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestDeviceSlowDown(t *testing.T) {
	iss, c, s := deviceSetup(t, oauthtest.Options{})
	da := startDevice(t, c)
	if err := iss.SlowDownDevice(da.UserCode, 2); err != nil {
		t.Fatal(err)
	}
	s.hook = func(n int) {
		if n == 3 {
			iss.ApproveDevice(da.UserCode)
		}
	}
	if _, err := pollDevice(t, c, da); err != nil {
		t.Fatal(err)
	}
	// Each slow_down adds 5 s, for every later poll (RFC 8628 §3.5).
	want := []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second}
	if got := s.Waits(); !sameDurations(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if iv, _ := iss.DeviceInterval(da.UserCode); da.Interval != 15*time.Second || iv != 15*time.Second {
		t.Errorf("Interval %v, the issuer expects %v", da.Interval, iv)
	}
	if st := iss.Stats(); st.DeviceSlowDowns != 2 || st.DeviceGrants != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A client that ignored slow_down would poll too early; the issuer's own
// timing check answers slow_down then, and a client that honours it stays
// clear of a second one.
func TestDeviceSlowDownByTiming(t *testing.T) {
	iss, c, s := deviceSetup(t, oauthtest.Options{DeviceInterval: 5 * time.Second})
	da := startDevice(t, c)
	da.Interval = 2 * time.Second // as if the client polled faster than asked
	s.hook = func(n int) {
		if n == 2 {
			iss.ApproveDevice(da.UserCode)
		}
	}
	if _, err := pollDevice(t, c, da); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{2 * time.Second, 7 * time.Second}
	if got := s.Waits(); !sameDurations(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if st := iss.Stats(); st.DeviceSlowDowns != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestDeviceExpiry(t *testing.T) {
	t.Run("client side", func(t *testing.T) {
		iss, c, s := deviceSetup(t, oauthtest.Options{DeviceTTL: 22 * time.Second})
		da := startDevice(t, c)
		_, err := pollDevice(t, c, da)
		if !errors.Is(err, oauthflow.ErrDeviceExpired) {
			t.Fatalf("err = %v, want ErrDeviceExpired", err)
		}
		// Polls at 5, 10, 15 and 20 s; the next would be too late.
		if st := iss.Stats(); st.DevicePolls != 4 {
			t.Errorf("polls %d", st.DevicePolls)
		}
		if got := c.Now(); got.Before(da.ExpiresAt) {
			t.Errorf("gave up at %v, before the expiry %v", got, da.ExpiresAt)
		}
		_ = s
	})
	t.Run("expired_token", func(t *testing.T) {
		iss, c, s := deviceSetup(t, oauthtest.Options{})
		da := startDevice(t, c)
		s.hook = func(n int) {
			if n == 2 {
				iss.ExpireDevice(da.UserCode)
			}
		}
		_, err := pollDevice(t, c, da)
		if !errors.Is(err, oauthflow.ErrDeviceExpired) {
			t.Fatalf("err = %v, want ErrDeviceExpired", err)
		}
		if st := iss.Stats(); st.DevicePolls != 2 {
			t.Errorf("polls %d", st.DevicePolls)
		}
		assertNoSecrets(t, iss, err.Error())
	})
}

func TestDeviceTransientFailureKeepsPolling(t *testing.T) {
	iss, c, s := deviceSetup(t, oauthtest.Options{})
	da := startDevice(t, c)
	iss.Inject(oauthtest.Fault{Kind: oauthtest.ServerError})
	s.hook = func(n int) {
		if n == 2 {
			iss.ApproveDevice(da.UserCode)
		}
	}
	if _, err := pollDevice(t, c, da); err != nil {
		t.Fatal(err)
	}
	// The 503 doubles the wait before the next poll.
	want := []time.Duration{5 * time.Second, 10 * time.Second}
	if got := s.Waits(); !sameDurations(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestDeviceCancel(t *testing.T) {
	_, c, s := deviceSetup(t, oauthtest.Options{})
	da := startDevice(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	s.hook = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	if _, err := c.PollDevice(ctx, da); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// The real timer path: a short interval passes and the poll succeeds.
func TestDeviceRealSleep(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{DeviceInterval: -1})
	c := &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: iss.Endpoint()}
	da := startDevice(t, c)
	da.Interval = 10 * time.Millisecond
	iss.ApproveDevice(da.UserCode)
	if _, err := pollDevice(t, c, da); err != nil {
		t.Fatal(err)
	}
}

func TestDeviceEndpoint(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	t.Run("discovered", func(t *testing.T) {
		c := &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: oauthflow.Endpoint{Issuer: iss.URL()}}
		da := startDevice(t, c)
		if c.Endpoint.DeviceAuthURL != "" {
			t.Error("StartDevice modified the client")
		}
		if err := c.Discover(context.Background()); err != nil || c.Endpoint.DeviceAuthURL != iss.DeviceAuthorizationURL() {
			t.Errorf("Discover: %v, DeviceAuthURL %q", err, c.Endpoint.DeviceAuthURL)
		}
		if da.UserCode == "" {
			t.Error("no user code")
		}
	})
	t.Run("discovered although the other endpoints are explicit", func(t *testing.T) {
		ep := iss.Endpoint()
		ep.DeviceAuthURL = ""
		c := &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: ep}
		startDevice(t, c)
	})
	t.Run("none", func(t *testing.T) {
		ep := iss.Endpoint()
		ep.DeviceAuthURL, ep.Issuer = "", ""
		c := &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: ep}
		if _, err := c.StartDevice(context.Background(), nil); !errors.Is(err, oauthflow.ErrNoDeviceEndpoint) {
			t.Errorf("err = %v, want ErrNoDeviceEndpoint", err)
		}
	})
	t.Run("unknown scope", func(t *testing.T) {
		c := &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: iss.Endpoint()}
		_, err := c.StartDevice(context.Background(), []string{"admin"})
		if oe := asError(t, err); oe.Code != "invalid_scope" || oe.Op != "device authorization" {
			t.Errorf("err %v", err)
		}
	})
	t.Run("unknown client", func(t *testing.T) {
		c := &oauthflow.Client{ClientID: "nobody", Endpoint: iss.Endpoint()}
		_, err := c.StartDevice(context.Background(), nil)
		if oe := asError(t, err); oe.Code != "invalid_client" || oauthflow.Classify(err) != oauthflow.Terminal {
			t.Errorf("err %v", err)
		}
	})
}

// The verification page plays the user: opening verification_uri_complete
// approves, unless the consent says deny.
func TestDeviceVerificationPage(t *testing.T) {
	iss, c, _ := deviceSetup(t, oauthtest.Options{})
	var b oauthtest.Browser
	da := startDevice(t, c)
	if err := b.Open(da.VerificationURIComplete); err != nil || !strings.Contains(b.Last().Body, "approved") {
		t.Fatalf("open: %v, page %q", err, b.Last().Body)
	}
	if _, err := pollDevice(t, c, da); err != nil {
		t.Fatal(err)
	}
	iss.SetConsent(oauthtest.Consent{Error: "access_denied"})
	da = startDevice(t, c)
	b.Open(da.VerificationURIComplete)
	if _, err := pollDevice(t, c, da); !errors.Is(err, oauthflow.ErrDeviceDenied) {
		t.Fatalf("err = %v", err)
	}
	b.Open(iss.VerificationURL() + "?user_code=XXXX-XXXX")
	if b.Last().Status != 404 {
		t.Errorf("unknown code: status %d", b.Last().Status)
	}
}
