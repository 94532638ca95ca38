//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// headRequests sends n unauthenticated HEAD /v2/ to one replica: each is
// counted as imageregistry_http_requests_total{code="401",method="head"}
// on that replica only. Nothing else in the suite sends HEAD /v2/.
func headRequests(t *testing.T, replica string, n int) {
	t.Helper()
	c := caClient(t)
	for i := 0; i < n; i++ {
		req, _ := http.NewRequest(http.MethodHead, "https://"+replica+"/v2/", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("HEAD /v2/ on %s: %d", replica, resp.StatusCode)
		}
	}
}

// rawHeads scrapes a replica directly and returns its HEAD requests: all
// of them, and the 4xx ones.
func rawHeads(t *testing.T, replica string) (all, c4xx float64) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "https://"+replica+"/extensions/v2/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+env.tokens["admin"])
	resp, err := caClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, `imageregistry_http_requests_total{code="`) && strings.Contains(line, `method="head"}`) {
			v, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			all += v
			if strings.HasPrefix(line, `imageregistry_http_requests_total{code="4`) {
				c4xx += v
			}
		}
	}
	return all, c4xx
}

type metricsJSON struct {
	Kind            string   `json:"kind"`
	IntervalSeconds float64  `json:"interval_seconds"`
	Pods            []string `json:"pods"`
	Families        []struct {
		Name   string `json:"name"`
		Series []struct {
			Labels map[string]string `json:"labels"`
			Value  float64           `json:"value"`
		} `json:"series"`
	} `json:"families"`
}

// heads sums the HEAD 401 series of a -o json document, per pod label ("" when merged).
func (m metricsJSON) heads() map[string]float64 {
	out := map[string]float64{}
	for _, f := range m.Families {
		if f.Name != "imageregistry_http_requests_total" {
			continue
		}
		for _, s := range f.Series {
			if s.Labels["method"] == "head" && s.Labels["code"] == "401" {
				out[s.Labels["pod"]] += s.Value
			}
		}
	}
	return out
}

func metricsAs(t *testing.T, user string, args ...string) (metricsJSON, result) {
	t.Helper()
	r := ocr(t, runOpts{user: user}, append([]string{"metrics", "-o", "json"}, args...)...)
	var m metricsJSON
	if r.code == 0 {
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			t.Fatalf("metrics -o json: %v: %s", err, r)
		}
	}
	return m, r
}

func TestMetricsAccessAndFallback(t *testing.T) {
	r := ocr(t, runOpts{user: "alice"}, "metrics", "--ca-file", env.ingressCA)
	if r.code != 4 || r.stdout != "" || !strings.Contains(r.stderr, "access denied") || !strings.Contains(r.stderr, "grant metrics alice") {
		t.Fatalf("alice without the role: want exit 4, the grant command, empty stdout: %s", r)
	}
	// The name the tool runs as is the one in the hint.
	r = execIn(t, runOpts{user: "alice"}, "kubectl", "image-registry", "metrics", "--ca-file", env.ingressCA)
	if r.code != 4 || !strings.Contains(r.stderr, "oc image-registry grant metrics alice") {
		t.Fatalf("as a kubectl plugin the hint should say oc image-registry: %s", r)
	}
	mustOCR(t, "admin", "grant", "metrics", "alice")
	t.Cleanup(func() { ocr(t, runOpts{user: "admin"}, "revoke", "metrics", "alice") })
	// alice may not port-forward in openshift-image-registry: the route, one replica.
	_, r = metricsAs(t, "alice", "http_requests_total", "--ca-file", env.ingressCA)
	if r.code != 0 || !strings.Contains(r.stderr, "reading through the route") || !strings.Contains(r.stderr, "one replica's view") {
		t.Fatalf("alice with the role, without port-forward: %s", r)
	}
	r = ocr(t, runOpts{user: "alice"}, "metrics", "--token", "sha256~not-a-real-token-000000", "--ca-file", env.ingressCA)
	if r.code != 3 || r.stdout != "" {
		t.Fatalf("a rejected token: want exit 3: %s", r)
	}
}

func TestMetricsPerPodDeltas(t *testing.T) {
	if len(env.replicas) != 2 {
		t.Fatalf("the local cluster should run two registry replicas: %v", env.replicas)
	}
	before, r := metricsAs(t, "admin", "http_requests_total", "--by-pod")
	if r.code != 0 || len(before.Pods) != 2 {
		t.Fatalf("metrics --by-pod: want both pods: %s", r)
	}
	headRequests(t, env.replicas[0], 3)
	headRequests(t, env.replicas[1], 5)
	after, r := metricsAs(t, "admin", "http_requests_total", "--by-pod")
	if r.code != 0 {
		t.Fatalf("metrics: %s", r)
	}
	b, a := before.heads(), after.heads()
	got := map[float64]bool{a[after.Pods[0]] - b[before.Pods[0]]: true, a[after.Pods[1]] - b[before.Pods[1]]: true}
	if !got[3] || !got[5] {
		t.Fatalf("per-pod deltas: want 3 and 5, got before %v after %v", b, a)
	}
	merged, r := metricsAs(t, "admin", "http_requests_total")
	if r.code != 0 || merged.heads()[""] != a[after.Pods[0]]+a[after.Pods[1]] {
		t.Fatalf("merged %v is not the sum of the pods %v: %s", merged.heads(), a, r)
	}
}

func TestMetricsWatchRates(t *testing.T) {
	cmd := exec.Command(env.bin, "metrics", "http_requests_total", "-l", "method=head", "--watch", "1s", "-o", "json")
	cmd.Env = sealedEnv(t.TempDir(), "admin")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // the first scrape is the base line
	headRequests(t, env.replicas[0], 4)
	headRequests(t, env.replicas[1], 2)
	time.Sleep(3 * time.Second) // three intervals
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("watch ended with %v (Ctrl-C should be exit 0): %s", err, errb.String())
	}
	dec := json.NewDecoder(&out)
	var total float64
	blocks := 0
	for dec.More() {
		var m metricsJSON
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("watch block: %v", err)
		}
		if m.Kind != "rates" || m.IntervalSeconds <= 0 {
			t.Fatalf("watch block is not rates: %+v", m)
		}
		total += m.heads()[""] * m.IntervalSeconds
		blocks++
	}
	if blocks < 3 || total < 5.99 || total > 6.01 {
		t.Fatalf("%d blocks of rates add up to %.3f requests, want 6 over at least 3 blocks", blocks, total)
	}
}

func TestMetricsSummaryMatchesRawScrapes(t *testing.T) {
	headRequests(t, env.replicas[0], 2)
	headRequests(t, env.replicas[1], 1)
	a0, e0 := rawHeads(t, env.replicas[0])
	a1, e1 := rawHeads(t, env.replicas[1])
	raw, raw4xx := a0+a1, e0+e1
	r := ocr(t, runOpts{user: "admin"}, "metrics", "--summary", "-o", "json")
	var rep struct {
		SinceStart bool `json:"since_start"`
		Total      struct {
			Methods []struct {
				Method        string  `json:"method"`
				Requests      float64 `json:"requests"`
				ErrorRatio4xx float64 `json:"error_ratio_4xx"`
			} `json:"methods"`
		} `json:"total"`
		ByPod []struct{ Pod string } `json:"by_pod"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rep) != nil || !rep.SinceStart || len(rep.ByPod) != 2 {
		t.Fatalf("metrics --summary -o json: %s", r)
	}
	found := false
	for _, m := range rep.Total.Methods {
		if m.Method == "head" {
			found = true
			if m.Requests != raw || m.ErrorRatio4xx != raw4xx/raw {
				t.Fatalf("summary says %v HEAD requests (4xx ratio %v); the raw scrapes say %v (%v 4xx)", m.Requests, m.ErrorRatio4xx, raw, raw4xx)
			}
		}
	}
	if !found {
		t.Fatalf("no head row in the summary: %s", r)
	}
	// Over an interval: two raw scrapes around the command, HEADs sent
	// between its two scrapes.
	a0, _ = rawHeads(t, env.replicas[0])
	a1, _ = rawHeads(t, env.replicas[1])
	cmd := exec.Command(env.bin, "metrics", "--summary", "--interval", "3s", "--samples", "2", "-o", "json")
	cmd.Env = sealedEnv(t.TempDir(), "admin")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	headRequests(t, env.replicas[0], 4)
	headRequests(t, env.replicas[1], 3)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("metrics --summary --interval: %v", err)
	}
	b0, _ := rawHeads(t, env.replicas[0])
	b1, _ := rawHeads(t, env.replicas[1])
	var rep2 struct {
		SinceStart      bool    `json:"since_start"`
		IntervalSeconds float64 `json:"interval_seconds"`
		Total           struct {
			Methods []struct {
				Method   string  `json:"method"`
				Requests float64 `json:"requests"`
				Rate     float64 `json:"rate"`
			} `json:"methods"`
		} `json:"total"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep2); err != nil || rep2.SinceStart || rep2.IntervalSeconds < 2.9 {
		t.Fatalf("summary over an interval: %v: %s", err, out.String())
	}
	delta := (b0 - a0) + (b1 - a1)
	seen := false
	for _, m := range rep2.Total.Methods {
		seen = seen || m.Method == "head"
		if m.Method == "head" && (m.Requests != delta || delta != 7 || m.Rate < 7/rep2.IntervalSeconds-0.01 || m.Rate > 7/rep2.IntervalSeconds+0.01) {
			t.Fatalf("summary over the interval: %v HEADs at %v/s; raw scrapes: %v (7 sent)", m.Requests, m.Rate, delta)
		}
	}
	if !seen {
		t.Fatalf("no head row in the interval summary: %s", out.String())
	}

	// A CI gate: the HEADs above were 401s, so a 4xx gate fails with exit 5.
	r = ocr(t, runOpts{user: "admin"}, "metrics", "--summary", "--fail-on", "error_ratio_4xx>=0.000001")
	if r.code != 5 || !strings.Contains(r.stderr, "threshold failed") {
		t.Fatalf("--fail-on: want exit 5: %s", r)
	}
	if r := ocr(t, runOpts{user: "admin"}, "metrics", "--summary", "--fail-on", "nonsense>1"); r.code != 2 {
		t.Fatalf("bad --fail-on: want exit 2: %s", r)
	}
}
