// Package metrics reads the image registry's Prometheus metrics and answers
// the questions an admin asks of them. It parses expositions (one per pod),
// filters families and series, merges pods, computes histogram quantiles,
// rates and a health report with CI thresholds, and renders a table, JSON,
// the Prometheus text format and a one-screen summary.
//
// It does no network I/O and imports no CLI framework. The caller scrapes
// /extensions/v2/metrics on every registry pod, sending AcceptHeader, and
// hands each response body to Parse with the response's Content-Type and
// the pod's name.
//
// # Flow
//
// One scrape (the table, -o json, -o prom):
//
//	f, err := metrics.NewFilter(metrics.FilterOptions{Patterns: args, All: all, Labels: sel, Types: types})
//	// for each pod:
//	s, err := metrics.Parse(resp.Body, metrics.ParseOptions{ContentType: resp.Header.Get("Content-Type"), Pod: pod, Filter: f})
//	byPod, err := metrics.Merge(metrics.MergeByPod, perPod...)
//	shown, err := metrics.Merge(metrics.MergeSum, byPod) // unless --by-pod
//	err = metrics.WriteTable(os.Stdout, shown)           // or WriteJSON, WriteProm
//
// Rates (--watch, --interval with --samples): keep the previous by-pod
// snapshot and, at each scrape,
//
//	r, err := metrics.Rates(prevByPod, curByPod, elapsed) // per pod: resets are per process
//	r, err = metrics.Merge(metrics.MergeSum, r)           // unless --by-pod
//	err = metrics.WriteRates(os.Stdout, r, time.Now())    // one block per interval
//
// The summary (--summary, --fail-on): parse with ReportFilter() instead of
// the user's filter, then
//
//	rep, err := metrics.BuildReport(curByPod, prevByPod, elapsed) // prevByPod nil: one scrape, totals since start
//	ts, err := metrics.ParseThresholds(failOn)
//	results := rep.Check(ts)
//	err = metrics.WriteReport(os.Stdout, rep) // or WriteReportJSON(os.Stdout, rep, results)
//	// metrics.AnyFailed(results): exit non-zero
//
// # Parsing
//
// The Prometheus text format and OpenMetrics are read as
// github.com/prometheus/common/expfmt reads them. With a Filter, a line
// scanner drops what the filter excludes and builds the series of the
// lines it keeps itself, summaries and histograms grouped as expfmt groups
// them, leaving expfmt the lines it does not model and the errors to
// report (FuzzParseFilter compares the two). OpenMetrics is translated to
// the text format line by line first (counter families take their _total name,
// _created samples, exemplars and UNIT lines are dropped, timestamps become
// milliseconds, info and stateset become gauges, unknown untyped, and a
// gaugehistogram's samples become untyped families). A truncated exposition
// parses up to its last complete line (a summary then has no count); a
// malformed one is an error naming the line. Syntax errors are reported
// whatever the filter; a second HELP or TYPE line only in a family the
// filter keeps, since the others are skipped before the parser sees them.
//
// # Filters
//
// Family patterns are regular expressions matched against the whole family
// name. The prefix imageregistry_ is implied unless a pattern starts with it
// or FilterOptions.All is set: "http_.*" selects imageregistry_http_.*, and
// with All it selects http_.* instead. Without patterns the filter keeps
// every imageregistry_ family, or everything with All.
//
// Label matchers use Prometheus's syntax and semantics, comma-separated:
// name=value, name!=value, name=~regex, name!~regex; regexes are anchored at
// both ends; a missing label matches as ""; values may be double-quoted
// (a="x,y", with Go escapes). Matchers see a series' labels plus pod (the
// pod given to Parse; an exposition's own pod label becomes exported_pod),
// not a summary's quantile nor a histogram's le: a series is the whole
// summary or histogram. Types keeps counter, gauge, summary, histogram or
// untyped families.
//
// # Merging pods
//
// MergeSum adds up counters, gauges and untyped values with equal labels
// once the pod label is dropped, and histograms bucket by bucket; summaries
// keep their pod label because quantiles of different pods cannot be
// combined. MergeByPod keeps every series apart with its pod label.
//
// # Quantiles and rates
//
// HistogramQuantile is PromQL's histogram_quantile: sorted by le, +Inf
// required, the lowest bucket starting at 0 unless its bound is <= 0, linear
// interpolation, non-monotonic counts raised as PromQL does. Rates divides
// the increase between two scrapes by the interval, taking a counter that
// fell as reset (its increase is its new value); summaries get the rates of
// _count and _sum and their mean d_sum/d_count, histograms the rates of
// their buckets, gauges their current value.
//
// # Thresholds (--fail-on)
//
// A threshold list is comma-separated NAME OP NUMBER items:
//
//	thresholds = threshold { "," threshold }
//	threshold  = name op number [ "%" ]
//	op         = ">" | ">=" | "<" | "<=" | "==" | "!="
//	number     = a decimal float such as 0.05, 1e-3 or 250 ("5%" is 0.05)
//
// Blanks around tokens are allowed. An item says when the gate fails:
// 'error_ratio>0.05' fails when more than 5% of requests failed. The names
// read the report's total over all pods:
//
//	request_rate                   requests per second (two scrapes only)
//	error_ratio                    (4xx + 5xx) / requests
//	error_ratio_4xx                4xx / requests (registry clients get 401 on their first request)
//	error_ratio_5xx                5xx / requests
//	p99_seconds                    the highest request p99 over pods and methods
//	in_flight                      requests in flight, all pods
//	digest_cache_hit_ratio         hits / lookups of the unscoped digest cache
//	digest_cache_scoped_hit_ratio  the same for the scoped cache
//	storage_errors                 storage driver errors
//	storage_errors_critical        READ_ONLY_FILESYSTEM and DEVICE_OUT_OF_SPACE errors
//	pullthrough_errors             errors from upstream registries
//
// Counts and ratios are over the interval between two scrapes, or since
// each pod started with one scrape (Report.SinceStart). A value that does
// not exist (a ratio without requests, a rate from one scrape) makes its
// threshold Unknown, which does not fail the gate.
//
// # JSON: a snapshot (-o json), schema "oc-registry.metrics/v1"
//
//	{
//	  "schema": "oc-registry.metrics/v1",
//	  "kind": "scrape",                 // or "rates" (watch mode)
//	  "interval_seconds": 5,            // rates only
//	  "pods": ["image-registry-..."],   // pods scraped; [] through the route
//	  "families": [                     // sorted by name
//	    {
//	      "name": "imageregistry_http_requests_total",
//	      "type": "counter",            // counter|gauge|summary|histogram|untyped
//	      "help": "...",                // omitted when empty
//	      "series": [                   // sorted by labels
//	        // counter, gauge, untyped: the value (a rate per second for
//	        // counters when kind is "rates")
//	        {"labels": {"code": "200", "method": "get", "pod": "..."}, "value": 42},
//	        // summary: count and sum (omitted when the exposition lacks them),
//	        // mean = sum/count (omitted when not computable), quantiles by
//	        // their label value
//	        {"labels": {"method": "get", "pod": "..."}, "count": 10, "sum": 1.2, "mean": 0.12,
//	         "quantiles": {"0.5": 0.1, "0.9": 0.2, "0.99": 0.3}},
//	        // histogram: the same, quantiles 0.5, 0.9 and 0.99 computed by
//	        // HistogramQuantile, and the cumulative buckets
//	        {"labels": {}, "count": 4, "sum": 2, "mean": 0.5, "quantiles": {"0.5": 0.1, "0.9": 0.82, "0.99": 0.982},
//	         "buckets": [{"le": "0.1", "count": 2}, {"le": "1", "count": 4}, {"le": "+Inf", "count": 4}]}
//	      ]
//	    }
//	  ]
//	}
//
// Every number is a JSON number, except that NaN (a summary quantile with
// no observations in its window, an empty histogram's quantile) is null
// and the infinities are the strings "+Inf" and "-Inf". Label values and le
// bounds are strings. Fields are only added within a schema version.
//
// # JSON: the summary (--summary -o json), schema "oc-registry.metrics-summary/v1"
//
//	{
//	  "schema": "oc-registry.metrics-summary/v1",
//	  "since_start": false,      // true: one scrape, counts since each pod started, rates null
//	  "interval_seconds": 10,    // omitted when since_start
//	  "pods": ["..."],
//	  "total": SECTION,          // all pods; its p99 values are the highest of the pods'
//	  "by_pod": [SECTION, ...],  // each with "pod"; [] when series carry no pod label
//	  "thresholds": [            // omitted without --fail-on
//	    {"threshold": "error_ratio>0.05", "name": "error_ratio", "op": ">", "value": 0.05,
//	     "actual": 0.07, "failed": true, "unknown": false}
//	  ]
//	}
//
// SECTION:
//
//	{
//	  "pod": "...",                                   // omitted in total
//	  "requests": 155, "request_rate": 15.5,          // requests in the interval (or since start), per second
//	  "errors_4xx": 10, "errors_5xx": 15,
//	  "error_ratio": 0.16, "error_ratio_4xx": 0.06, "error_ratio_5xx": 0.1,
//	  "p99_seconds": 0.9, "mean_seconds": 0.1,        // request latency
//	  "methods": [{"method": "get", "requests": 140, "rate": 14, "errors_4xx": 10, "errors_5xx": 10,
//	               "error_ratio": 0.14, "error_ratio_4xx": 0.07, "error_ratio_5xx": 0.07,
//	               "p99_seconds": 0.9, "mean_seconds": 0.1}],   // most requests first
//	  "in_flight": 3,
//	  "digest_cache": {"hits": 40, "misses": 40, "hit_ratio": 0.5},
//	  "digest_cache_scoped": {"hits": 5, "misses": 0, "hit_ratio": 1},
//	  "storage_errors": [{"operation": "PutContent", "code": "READ_ONLY_FILESYSTEM", "count": 2, "rate": 0.2, "critical": true}],
//	  "pullthrough_errors": [{"registry": "docker.io", "operation": "Get", "code": "UNAUTHORIZED", "count": 3, "rate": 0.3}],
//	  "storage_latency": [{"operation": "GetContent", "p99_seconds": 0.6, "mean_seconds": 0.018, "count": 110}]  // slowest first
//	}
//
// Lists hold only non-zero error counts. The same number rules apply: NaN
// (no requests for a ratio, one scrape for a rate, no gauge) is null.
// Latency quantiles come from the registry's summaries, which cover a
// sliding window of 10 minutes whatever the interval.
package metrics
