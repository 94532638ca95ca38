package metrics

import (
	"bufio"
	"bytes"
	"io"
	"sync"
	"testing"
)

var bench50k = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if err := GenerateExposition(&buf, 50000); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

func benchParse(b *testing.B, o FilterOptions, render bool) {
	data := bench50k()
	f, err := NewFilter(o)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	series := 0
	for b.Loop() {
		s, err := Parse(bytes.NewReader(data), ParseOptions{Pod: "image-registry-1", Filter: f})
		if err != nil {
			b.Fatal(err)
		}
		series = s.SeriesCount()
		if render {
			if err := WriteTable(io.Discard, s); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(series), "series")
}

// The command the bench script times: metrics 'http_.*' -l method=get.
func BenchmarkParseFilter50k(b *testing.B) {
	benchParse(b, FilterOptions{Patterns: []string{"http_.*"}, Labels: "method=get"}, false)
}

func BenchmarkParseFilterTable50k(b *testing.B) {
	benchParse(b, FilterOptions{Patterns: []string{"http_.*"}, Labels: "method=get"}, true)
}

// A narrow filter: one small family out of 50,000 series.
func BenchmarkParseNarrow50k(b *testing.B) {
	benchParse(b, FilterOptions{Patterns: []string{"digest_cache_.*"}}, false)
}

// No filter at all: every series is kept, and built by the line filter.
func BenchmarkParseAll50k(b *testing.B) {
	benchParse(b, FilterOptions{All: true}, false)
}

// BenchmarkGrepBaseline is what grep does, in Go: keep the lines holding
// both strings. It is the floor the filtered parse is compared with.
func BenchmarkGrepBaseline50k(b *testing.B) {
	data := bench50k()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sc := bufio.NewScanner(bytes.NewReader(data))
		n := 0
		for sc.Scan() {
			l := sc.Bytes()
			if bytes.Contains(l, []byte("imageregistry_http_")) && bytes.Contains(l, []byte(`method="get"`)) {
				n++
			}
		}
		if n == 0 {
			b.Fatal("no line matched")
		}
	}
}

func BenchmarkWriteTable(b *testing.B) {
	f, _ := NewFilter(FilterOptions{Patterns: []string{"http_.*"}, Labels: "method=get"})
	s, err := Parse(bytes.NewReader(bench50k()), ParseOptions{Pod: "image-registry-1", Filter: f})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteTable(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}
