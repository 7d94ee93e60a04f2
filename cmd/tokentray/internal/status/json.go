package status

import "time"

// Schema is the version of the JSON status document; it changes only
// when a field is removed or changes its meaning (new fields may appear).
const Schema = 1

// The JSON document (README: "status --json"). Every field is always
// present; unknown values are null. Times are RFC 3339 in UTC, in whole
// seconds.
type jsonReport struct {
	Schema       int           `json:"schema"`
	At           *jsonTime     `json:"at"`
	Running      bool          `json:"running"`
	PID          *int          `json:"pid"`
	StartAtLogin *bool         `json:"start_at_login"`
	Config       string        `json:"config"`
	Accounts     []jsonAccount `json:"accounts"`
}

type jsonAccount struct {
	Name           string    `json:"name"`
	Source         string    `json:"source"` // "owned" or "watched"
	Tool           *string   `json:"tool"`   // the watched tool, e.g. "claude-code"
	User           *string   `json:"user"`
	Status         string    `json:"status"`
	Reason         *string   `json:"reason"`
	NeedsAction    bool      `json:"needs_action"`
	NextStep       *string   `json:"next_step"`
	Issuer         *string   `json:"issuer"`
	TokenExpiresAt *jsonTime `json:"token_expires_at"`
	// ExpirySource: "server" (expires_in), "jwt" (the token's exp
	// claim), "assumed" (the provider's usual lifetime) or "none".
	ExpirySource   *string   `json:"token_expiry_source"`
	LoginEndsAt    *jsonTime `json:"login_ends_at"`
	NextRefreshAt  *jsonTime `json:"next_refresh_at"`
	LastRefreshAt  *jsonTime `json:"last_refresh_at"`
	SignedInAt     *jsonTime `json:"signed_in_at"`
	FailedAttempts int       `json:"failed_attempts"`
	NextTryAt      *jsonTime `json:"next_try_at"`
	LastError      *string   `json:"last_error"`
	FileWarning    *string   `json:"file_warning"`
	SignInError    *string   `json:"sign_in_error"`
}

// jsonTime marshals as RFC 3339 in UTC, whole seconds.
type jsonTime time.Time

func (t jsonTime) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Truncate(time.Second).Format(time.RFC3339)), nil
}

func timeOrNull(t time.Time) *jsonTime {
	if t.IsZero() {
		return nil
	}
	j := jsonTime(t)
	return &j
}

func stringOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toJSON(rep Report) jsonReport {
	out := jsonReport{
		Schema:       Schema,
		At:           timeOrNull(rep.Snapshot.At),
		Running:      rep.Running,
		StartAtLogin: rep.StartAtLogin,
		Config:       rep.Config,
		Accounts:     []jsonAccount{},
	}
	if rep.PID > 0 {
		out.PID = &rep.PID
	}
	for _, a := range rep.Snapshot.Accounts {
		src, tool := source(a.Kind)
		out.Accounts = append(out.Accounts, jsonAccount{
			Name:           a.Name,
			Source:         src,
			Tool:           stringOrNull(tool),
			User:           stringOrNull(a.User),
			Status:         a.State.String(),
			Reason:         stringOrNull(a.Reason),
			NeedsAction:    needsAction(a),
			NextStep:       stringOrNull(nextStep(a, rep.Files[a.Name])),
			Issuer:         stringOrNull(rep.Issuers[a.Name]),
			TokenExpiresAt: timeOrNull(a.Expiry),
			ExpirySource:   stringOrNull(string(a.ExpirySource)),
			LoginEndsAt:    timeOrNull(a.Deadline),
			NextRefreshAt:  timeOrNull(a.NextRefresh),
			LastRefreshAt:  timeOrNull(a.LastRefresh),
			SignedInAt:     timeOrNull(a.SignedIn),
			FailedAttempts: a.Attempt,
			NextTryAt:      timeOrNull(a.NextTry),
			LastError:      stringOrNull(a.LastError),
			FileWarning:    stringOrNull(a.FileWarning),
			SignInError:    stringOrNull(a.SignInError),
		})
	}
	return out
}
