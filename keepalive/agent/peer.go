package agent

import "fmt"

// admit decides whether a connection whose peer process runs as user
// peer may use an agent running as user own: only the agent's own user
// may, whatever the endpoint's permissions say. (Root is no exception: a
// process of another user that is root could read the token files anyway,
// but it has no business asking the agent for them.)
func admit(peer, own int) error {
	if peer != own {
		return fmt.Errorf("peer runs as user %d, not %d", peer, own)
	}
	return nil
}
