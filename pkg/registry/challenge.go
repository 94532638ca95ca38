package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// answer turns a WWW-Authenticate challenge into an Authorization value:
// Basic directly, Bearer through the token realm.
func (c *Client) answer(ctx context.Context, challenge, scope string) (string, error) {
	scheme, params := ParseChallenge(challenge)
	switch scheme {
	case "basic":
		return c.basic(), nil
	case "bearer":
		if scope != "" {
			params["scope"] = scope
		}
		tok, err := c.exchange(ctx, params)
		if err != nil {
			return "", err
		}
		return "Bearer " + tok, nil
	}
	return "", &Error{Cause: CauseNotRegistry, Host: c.host, Err: errors.New("HTTP 401 without a Basic or Bearer challenge")}
}

// realmAllowed is the realm policy: the registry's own host, or a host the
// user named with --allow-realm; https always, unless Insecure and the
// realm is the registry itself.
func (c *Client) realmAllowed(realm *url.URL) error {
	own := sameHost(realm.Host, c.host)
	switch {
	case realm.Scheme == "https" && own:
		return nil
	case realm.Scheme == "http" && own && c.insecure:
		return nil
	case realm.Scheme != "https":
		return c.policy(fmt.Errorf("token realm %s is not https", redactURL(realm)))
	case slices.ContainsFunc(c.realms, func(h string) bool { return sameHost(h, realm.Host) }):
		return nil
	}
	return &Error{Cause: CausePolicy, Host: c.host,
		Err: fmt.Errorf("its token realm is on another host, %s (pass --allow-realm %s if you trust it with your token)", realm.Host, realm.Host)}
}

// exchange trades the credentials for a bearer token at the realm.
func (c *Client) exchange(ctx context.Context, params map[string]string) (string, error) {
	realm, err := url.Parse(params["realm"])
	if err != nil || realm.Host == "" {
		return "", &Error{Cause: CauseNotRegistry, Host: c.host, Err: fmt.Errorf("bad token realm %q", params["realm"])}
	}
	if err := c.realmAllowed(realm); err != nil {
		return "", err
	}
	q := realm.Query()
	for _, k := range []string{"service", "scope"} {
		for _, v := range strings.Fields(params[k]) {
			q.Add(k, v)
		}
	}
	realm.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", c.agent)
	req.SetBasicAuth(c.user, c.secret)
	// The realm gets its own redirect rule: nowhere but itself.
	hc := *c.http
	hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if origin(r.URL) != origin(realm) {
			return c.policy(fmt.Errorf("token realm %s redirected to %s", realm.Host, redactURL(r.URL)))
		}
		return nil
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", c.classify(err)
	}
	defer drain(resp)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", &Error{Cause: CauseUnauthorized, Host: c.host, Err: fmt.Errorf("token endpoint %s answered HTTP %d", realm.Path, resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return "", &Error{Cause: CauseNotRegistry, Host: c.host, Err: fmt.Errorf("token endpoint %s answered HTTP %d", realm.Path, resp.StatusCode)}
	}
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", &Error{Cause: CauseNotRegistry, Host: c.host, Err: errors.New("token endpoint answered with no JSON token")}
	}
	switch {
	case body.Token != "":
		return body.Token, nil
	case body.AccessToken != "":
		return body.AccessToken, nil
	}
	return "", &Error{Cause: CauseNotRegistry, Host: c.host, Err: errors.New("token endpoint answered with an empty token")}
}

// AccessDenied tells OpenShift's "valid token, missing permission" 401
// (challenge `Basic realm=openshift,error="access denied"`) from a rejected
// token, which gets a plain challenge.
func AccessDenied(resp *http.Response) bool {
	if resp.StatusCode == http.StatusForbidden {
		return true
	}
	for _, h := range resp.Header.Values("WWW-Authenticate") {
		if _, p := ParseChallenge(h); p["error"] == "access denied" || p["error"] == "insufficient_scope" {
			return true
		}
	}
	return false
}

// ParseChallenge splits `Bearer realm="...",service="..."` into a
// lowercase scheme and its parameters.
func ParseChallenge(h string) (string, map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params := map[string]string{}
	for rest != "" {
		var v string
		rest = strings.TrimLeft(rest, ", ")
		if rest == "" {
			break
		}
		k, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		if strings.HasPrefix(after, `"`) {
			end := strings.Index(after[1:], `"`)
			if end < 0 {
				break
			}
			v, rest = after[1:1+end], after[2+end:]
		} else {
			v, rest, _ = strings.Cut(after, ",")
		}
		params[strings.ToLower(strings.TrimSpace(k))] = v
	}
	return strings.ToLower(scheme), params
}
