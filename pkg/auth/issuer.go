package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// Issuer is the API server a token login stored came from. The record
// keeps the token's SHA-256, never the token.
type Issuer struct {
	Server string    `json:"server"`
	At     time.Time `json:"at"`
}

// ServerIdentity names the API server cfg reaches, as the record keeps it:
// the URL, then a digest of how the kubeconfig reaches and trusts it (CA,
// TLS server name, proxy). A token is used for a permission check only
// where all of these are what they were when it was issued, so a
// kubeconfig that reaches the same URL through another proxy or CA never
// carries it. "" when cfg does not verify the server: no token goes there.
func ServerIdentity(cfg *rest.Config) string {
	if cfg == nil || cfg.Insecure || cfg.Host == "" {
		return ""
	}
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		b, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return ""
		}
		ca = b
	}
	proxy := ""
	if u, err := url.Parse(cfg.Host); err == nil {
		pick := http.ProxyFromEnvironment
		if cfg.Proxy != nil {
			pick = cfg.Proxy
		}
		if p, err := pick(&http.Request{URL: u}); err == nil && p != nil {
			proxy = p.String()
		}
	}
	sum := sha256.Sum256([]byte(string(ca) + "\x00" + cfg.ServerName + "\x00" + proxy))
	return cfg.Host + "#" + hex.EncodeToString(sum[:8])
}

// serverURL is the URL part of a ServerIdentity.
func serverURL(id string) string { u, _, _ := strings.Cut(id, "#"); return u }

// maxIssuers bounds the record: tokens expire, and every login adds one.
const maxIssuers = 128

func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NoteIssuer records that token was issued by server.
func (r *Record) NoteIssuer(token, server string) {
	if token == "" || server == "" {
		return
	}
	if r.Issuers == nil {
		r.Issuers = map[string]Issuer{}
	}
	r.Issuers[tokenKey(token)] = Issuer{Server: server, At: time.Now().UTC()}
	if len(r.Issuers) <= maxIssuers {
		return
	}
	keys := make([]string, 0, len(r.Issuers))
	for k := range r.Issuers {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return r.Issuers[keys[i]].At.Before(r.Issuers[keys[j]].At) })
	for _, k := range keys[:len(keys)-maxIssuers] {
		delete(r.Issuers, k)
	}
}

// IssuerOf is the API server login recorded for token, or "".
func (r *Record) IssuerOf(token string) string {
	return r.Issuers[tokenKey(token)].Server
}

// Identity is whom a push's permission check should ask about: the
// credentials the push will send for the registry host.
type Identity struct {
	// Token, when set, is a token from the auth file that login recorded
	// as issued by this same API server: ask about it. When "" and Skip is
	// "", the auth file has no entry for the host: ask about the
	// kubeconfig's user.
	Token string
	// Skip says why the cluster cannot be asked: the entry is foreign (a
	// password, a credential helper, another tool's or another cluster's
	// token). The registry then decides alone.
	Skip string
}

// PushIdentity reads the auth file's entry for host and says whom to ask
// the server (a ServerIdentity) about. A token goes only to the server
// that issued it, reached as it was then.
func PushIdentity(f AuthFile, host, server string) Identity {
	_, secret, ok := f.Credentials(host)
	if !ok {
		return Identity{}
	}
	if server == "" {
		return Identity{Skip: "your kubeconfig does not verify the API server's certificate, so no token from the auth file is sent through it"}
	}
	rec, err := LoadRecord()
	if err != nil {
		return Identity{Skip: fmt.Sprintf("the login record is unreadable (%v)", err)}
	}
	switch issuer := rec.IssuerOf(secret); issuer {
	case server:
		return Identity{Token: secret}
	case "":
		return Identity{Skip: fmt.Sprintf("the credentials for %s in %s were not stored by login for this cluster (a password, a credential helper or another tool's token)", host, f.Resolve())}
	default:
		if serverURL(issuer) == serverURL(server) {
			return Identity{Skip: fmt.Sprintf("the credentials for %s in %s were issued by %s as reached then: its CA, server name or proxy in your kubeconfig changed since (log in again to use them here)", host, f.Resolve(), serverURL(issuer))}
		}
		return Identity{Skip: fmt.Sprintf("the credentials for %s in %s come from another cluster (%s)", host, f.Resolve(), serverURL(issuer))}
	}
}
