package oauthflow_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// jwtWithExp is an unsigned JWT access token whose exp is exp (omitted
// when zero).
func jwtWithExp(exp time.Time) string {
	enc := base64.RawURLEncoding
	claims := `{"sub":"u"}`
	if !exp.IsZero() {
		claims = fmt.Sprintf(`{"sub":"u","exp":%d}`, exp.Unix())
	}
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString([]byte(claims)) + "."
}

// TestImplausibleExpiresIn: an expires_in that is missing, non-positive or
// longer than a year is not believed; the access token's JWT exp is used
// when there is one, else the expiry is unknown, and the Token says which.
func TestImplausibleExpiresIn(t *testing.T) {
	clk := newClock()
	now := clk.Now()
	jwt := jwtWithExp(now.Add(2 * time.Minute))
	for _, tc := range []struct {
		name, access, expiresIn string
		want                    time.Time
		source                  oauthflow.ExpirySource
	}{
		{"plausible", "opaque", `3600`, now.Add(time.Hour), oauthflow.ExpiryFromServer},
		{"plausible beats jwt", jwt, `600`, now.Add(10 * time.Minute), oauthflow.ExpiryFromServer},
		{"nanoseconds, jwt", jwt, `120000000000`, now.Add(2 * time.Minute), oauthflow.ExpiryFromJWT},
		{"nanoseconds, opaque", "opaque", `120000000000`, time.Time{}, oauthflow.ExpiryUnknown},
		{"over a year, jwt", jwt, fmt.Sprint(int64(400 * 24 * 3600)), now.Add(2 * time.Minute), oauthflow.ExpiryFromJWT},
		{"over a year, opaque", "opaque", fmt.Sprint(int64(400 * 24 * 3600)), time.Time{}, oauthflow.ExpiryUnknown},
		{"missing, jwt", jwt, ``, now.Add(2 * time.Minute), oauthflow.ExpiryFromJWT},
		{"missing, opaque", "opaque", ``, time.Time{}, oauthflow.ExpiryUnknown},
		{"zero, jwt", jwt, `0`, now.Add(2 * time.Minute), oauthflow.ExpiryFromJWT},
		{"negative, opaque", "opaque", `-30`, time.Time{}, oauthflow.ExpiryUnknown},
		{"jwt without exp", jwtWithExp(time.Time{}), `-1`, time.Time{}, oauthflow.ExpiryUnknown},
		{"jwt exp beyond a year", jwtWithExp(now.Add(2 * 366 * 24 * time.Hour)), ``, time.Time{}, oauthflow.ExpiryUnknown},
		{"jwt already expired", jwtWithExp(now.Add(-time.Minute)), `0`, now.Add(-time.Minute), oauthflow.ExpiryFromJWT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				body := fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer"`, tc.access)
				if tc.expiresIn != "" {
					body += `,"expires_in":` + tc.expiresIn
				}
				fmt.Fprint(w, body+"}")
			}))
			defer srv.Close()
			c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: srv.URL}, Now: clk.Now}
			tok, err := c.Refresh(context.Background(), "rt")
			if err != nil {
				t.Fatal(err)
			}
			if !tok.Expiry.Equal(tc.want) || tok.ExpirySource != tc.source {
				t.Errorf("expiry %v (%s), want %v (%s)", tok.Expiry, tok.ExpirySource, tc.want, tc.source)
			}
		})
	}
}

// A server answering like mockoidc (expires_in in nanoseconds, JWT access
// tokens) gets the right expiry at sign-in and at every refresh.
func TestMockOIDCLikeExpiry(t *testing.T) {
	for _, jwtTokens := range []bool{true, false} {
		t.Run(fmt.Sprint("jwt=", jwtTokens), func(t *testing.T) {
			clk := newClock()
			iss := startIssuer(t, oauthtest.Options{AccessTTL: 2 * time.Minute, NanosecondExpiresIn: true, JWTAccessTokens: jwtTokens, Now: clk.Now})
			c := signInClient(iss)
			c.Now = clk.Now
			tok, err := browserSignIn(t, c)
			if err != nil {
				t.Fatal(err)
			}
			want, source := clk.Now().Add(2*time.Minute), oauthflow.ExpiryFromJWT
			if !jwtTokens {
				want, source = time.Time{}, oauthflow.ExpiryUnknown
			}
			if !tok.Expiry.Equal(want) || tok.ExpirySource != source {
				t.Errorf("sign-in: expiry %v (%s), want %v (%s)", tok.Expiry, tok.ExpirySource, want, source)
			}
			clk.Advance(time.Minute)
			tok, err = c.Refresh(context.Background(), tok.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if jwtTokens {
				want = clk.Now().Add(2 * time.Minute)
			}
			if !tok.Expiry.Equal(want) || tok.ExpirySource != source {
				t.Errorf("refresh: expiry %v (%s), want %v (%s)", tok.Expiry, tok.ExpirySource, want, source)
			}
		})
	}
}

// NoRefreshToken plays a server that did not grant offline_access.
func TestIssuerNoRefreshToken(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{NoRefreshToken: true})
	tok, err := browserSignIn(t, signInClient(iss))
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken.IsZero() || !tok.RefreshToken.IsZero() {
		t.Errorf("token %+v", tok)
	}
	if m := iss.Mint(oauthtest.DefaultClientID, "openid"); !m.RefreshToken.IsZero() {
		t.Error("Mint issued a refresh token")
	}
}

// browserSignIn runs a sign-in of c whose browser follows every redirect.
func browserSignIn(t *testing.T, c *oauthflow.Client) (*oauthflow.Token, error) {
	t.Helper()
	f := startFlow(t, c, oauthflow.SignInOptions{})
	var b oauthtest.Browser
	if err := b.Open(f.URL()); err != nil {
		t.Fatal(err)
	}
	return waitFlow(t, f)
}
