package keepalive

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestTokenMinValid(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	first, err := r.eng.Token(ctx, "work", 0)
	if err != nil {
		t.Fatal(err)
	}
	if first.TokenType != "Bearer" || !first.Expiry.Equal(t0.Add(time.Hour)) {
		t.Errorf("token = %+v", first)
	}
	if got, _ := r.eng.Token(ctx, "work", 30*time.Minute); got.AccessToken != first.AccessToken || r.iss.Stats().Refreshes != 0 {
		t.Fatalf("refreshed although 60m remain of the 30m asked for (refreshes %d)", r.iss.Stats().Refreshes)
	}
	r.clock.Advance(10 * time.Minute) // 50m left
	got, err := r.eng.Token(ctx, "work", 55*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken == first.AccessToken || r.iss.Stats().Refreshes != 1 || !got.Expiry.Equal(r.clock.Now().Add(time.Hour)) {
		t.Fatalf("with 50m left and 55m asked for: token changed %v, refreshes %d, expiry %v",
			got.AccessToken != first.AccessToken, r.iss.Stats().Refreshes, got.Expiry)
	}
	if again, _ := r.eng.Token(ctx, "work", 55*time.Minute); again.AccessToken != got.AccessToken || r.iss.Stats().Refreshes != 1 {
		t.Fatalf("refreshed again (refreshes %d)", r.iss.Stats().Refreshes)
	}
	_, err = r.eng.Token(ctx, "work", 2*time.Hour)
	if err == nil || !strings.Contains(err.Error(), "less than the 2h asked for") {
		t.Fatalf("2h asked of 1h tokens: %v", err)
	}
}

func TestRejectMakesTheNextTokenFresh(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	tok, err := r.eng.Token(ctx, "work", 0)
	if err != nil {
		t.Fatal(err)
	}
	if marked, err := r.eng.Reject(ctx, "work", "some-other-token"); marked || err != nil {
		t.Fatalf("rejecting a token that is not stored: %v, %v", marked, err)
	}
	if got, _ := r.eng.Token(ctx, "work", 0); got.AccessToken != tok.AccessToken || r.iss.Stats().Refreshes != 0 {
		t.Fatal("a foreign rejection changed the token")
	}
	if marked, err := r.eng.Reject(ctx, "work", tok.AccessToken); !marked || err != nil {
		t.Fatalf("Reject = %v, %v", marked, err)
	}
	// Another process (a new engine on the same files) sees it too.
	other := New(Options{Store: r.store, Clock: r.clock, Rand: func() float64 { return 0.5 }}, []OwnedAccount{{Name: "work", Client: r.client, RefreshLead: 10 * time.Minute}})
	got, err := other.Token(ctx, "work", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken == tok.AccessToken || r.iss.Stats().Refreshes != 1 {
		t.Fatalf("after Reject: same token %v, refreshes %d", got.AccessToken == tok.AccessToken, r.iss.Stats().Refreshes)
	}
	if !r.iss.Valid(got.AccessToken.Reveal()) {
		t.Error("new token not valid")
	}
}
