package metrics

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/common/expfmt"
)

// lineFilter sits between the exposition and expfmt's parser. It does two
// jobs, one line at a time and without holding the exposition in memory:
//
//   - it drops the lines of families and series the filter excludes, so that
//     expfmt, which builds a protobuf message per series, only sees the few
//     it will keep: parsing 50,000 series to keep 500 costs a lot more than
//     scanning them;
//   - it translates OpenMetrics into the text format, which is all expfmt
//     parses: counters are named with their _total, _created samples,
//     exemplars and UNIT lines are dropped, timestamps become milliseconds,
//     info, stateset and unknown map to gauge and untyped.
//
// Dropped lines are not passed on; the filter keeps a map from the
// parser's line numbers to the exposition's, to translate its errors.
//
// The filter is only an optimisation: Parse applies the same Filter to what
// expfmt returns. So whenever a line is not understood, it is passed through
// and expfmt decides. To know which family a sample line belongs to, the
// filter replays expfmt's own rule (a name is its own family unless a
// summary or histogram declared earlier claims it through _sum, _count or
// _bucket); when it sees a construct it does not model (a quoted UTF-8 name)
// it stops dropping anything ("blind"). Those constructs are errors with
// the legacy name validation Parse uses, unless a producer quotes a name
// that needs no quoting, which promhttp never does; after one, a family
// whose TYPE line was dropped before may be read as untyped.
type lineFilter struct {
	src  *bufio.Reader
	om   bool
	f    *Filter
	pod  []byte
	blnd bool
	line int

	known   map[string]Type   // expfmt's families so far; "" until typed
	nameOK  map[string]bool   // name-pattern verdicts
	omTypes map[string]string // OpenMetrics TYPE per family name as written

	sampleFams map[string]sampleFam // sample name -> where it was filed

	// Counters, gauges and untyped values the filter keeps are built here
	// from the scanned line instead of by expfmt (see directSeries).
	direct map[string]*Family
	help   map[string]string // first HELP text per family, unescaped
	intern map[string]string

	// Comment and blank lines wait here until the next sample line, because
	// a HELP line can come before the TYPE line that decides whether its
	// family is kept (type filter) or renamed (OpenMetrics counters).
	block     []byte
	blockEnds []int
	blockLine int // input line number of the block's first line

	outLines int        // lines written to the parser
	lineMap  []linePair // where the parser's numbering jumps ahead of the input's

	out  []byte
	pos  int
	done bool
	err  error
	long []byte

	lastName []byte // cache: consecutive samples of one family
	lastFam  string
	lastType Type

	labels  []scannedLabel
	scratch []byte
}

type linePair struct{ out, in int }

type sampleFam struct {
	fam string
	typ Type
}

type scannedLabel struct {
	name, value []byte
	escaped     bool
}

func newLineFilter(r io.Reader, om bool, f *Filter, pod string) *lineFilter {
	if f != nil && f.keepsAll() {
		f = nil
	}
	return &lineFilter{
		src:     bufio.NewReaderSize(r, 64<<10),
		om:      om,
		f:       f,
		pod:     []byte(pod),
		known:   map[string]Type{},
		nameOK:  map[string]bool{},
		omTypes: map[string]string{},

		sampleFams: map[string]sampleFam{},
		direct:     map[string]*Family{},
		help:       map[string]string{},
		intern:     map[string]string{},
	}
}

func (r *lineFilter) Read(p []byte) (int, error) {
	for r.pos >= len(r.out) {
		if r.done {
			if r.err != nil {
				return 0, r.err
			}
			return 0, io.EOF
		}
		r.out, r.pos = r.out[:0], 0
		r.step()
	}
	n := copy(p, r.out[r.pos:])
	r.pos += n
	return n, nil
}

// readLine returns the next line without its newline, valid until the next
// call, and whether it had one.
func (r *lineFilter) readLine() ([]byte, bool, error) {
	b, err := r.src.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = r.src.ReadSlice('\n')
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return b[:len(b)-1], true, nil
	}
	return b, false, err
}

func (r *lineFilter) step() {
	line, nl, err := r.readLine()
	if err != nil && err != io.EOF {
		r.err = fmt.Errorf("line %d: %w", r.line+1, err)
	}
	if err != nil && len(line) == 0 {
		r.flushBlock()
		r.done = true
		return
	}
	r.line++
	t := trimBlank(line)
	switch {
	case r.om && string(t) == "# EOF":
		// Anything after EOF is not part of the exposition.
		r.flushBlock()
		r.done = true
	case !nl:
		// A last line without its newline is a scrape cut short: expfmt
		// reports it ("unexpected end of input stream") with its number,
		// whatever the filter says.
		r.flushBlock()
		r.out = append(r.out, line...)
		r.emitted(r.line)
		r.done = true
	case len(t) == 0 || t[0] == '#':
		if len(r.blockEnds) == 0 {
			r.blockLine = r.line
		}
		r.block = append(r.block, line...)
		r.blockEnds = append(r.blockEnds, len(r.block))
	default:
		r.flushBlock()
		if r.sample(line, t) {
			r.out = append(r.out, '\n')
			r.emitted(r.line)
		}
	}
}

// emitted records that the line just written to the parser is input line
// in, so that the parser's line numbers can be translated back. Dropped
// lines are not written at all, not even as empty lines: expfmt allocates
// for every line it reads, empty or not.
func (r *lineFilter) emitted(in int) {
	r.outLines++
	if n := len(r.lineMap); n > 0 && r.lineMap[n-1].in+r.outLines-r.lineMap[n-1].out == in {
		return
	}
	r.lineMap = append(r.lineMap, linePair{out: r.outLines, in: in})
}

// inputLine translates a line number of the parser's input to the
// exposition's.
func (r *lineFilter) inputLine(out int) int {
	i := sort.Search(len(r.lineMap), func(i int) bool { return r.lineMap[i].out > out }) - 1
	if i < 0 {
		return out
	}
	return r.lineMap[i].in + out - r.lineMap[i].out
}

func trimBlank(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// comment is one HELP or TYPE line of a block, as the parser will see it.
type comment struct {
	keyword string // HELP, TYPE; "" for a line emitted as is or dropped
	name    string // family name after OpenMetrics renaming
	text    []byte // HELP text or TYPE word after renaming
	raw     []byte // emit verbatim (not understood, or an error to report)
	drop    bool
	family  string // family the parser files the line under
}

func (r *lineFilter) flushBlock() {
	if len(r.blockEnds) == 0 {
		return
	}
	r.lastName = r.lastName[:0] // families may change under the cache
	lines := make([][]byte, len(r.blockEnds))
	start := 0
	for i, end := range r.blockEnds {
		lines[i] = r.block[start:end]
		start = end
	}
	if r.om {
		// The TYPE of an OpenMetrics family decides the name of its HELP line,
		// and may come after it.
		for _, l := range lines {
			if kw, name, rest, ok := splitComment(l); ok && kw == "TYPE" {
				r.omTypes[name] = strings.ToLower(string(rest))
			}
		}
	}
	cs := make([]comment, len(lines))
	for i, l := range lines {
		cs[i] = r.comment(l, r.blockLine+i)
		if r.done {
			return
		}
	}
	for i, c := range cs {
		switch {
		case c.raw != nil:
			r.out = append(r.out, c.raw...)
		case c.drop || !r.keepFamily(c.family, r.known[c.family]):
			continue
		default:
			r.out = append(r.out, "# "...)
			r.out = append(r.out, c.keyword...)
			r.out = append(r.out, ' ')
			r.out = append(r.out, c.name...)
			r.out = append(r.out, ' ')
			r.out = append(r.out, c.text...)
		}
		r.out = append(r.out, '\n')
		r.emitted(r.blockLine + i)
	}
	r.block, r.blockEnds = r.block[:0], r.blockEnds[:0]
}

// splitComment reads "# KEYWORD name rest". ok is false for anything the
// parser does not file under a family: other comments, a missing name, or a
// name followed directly by the end of the line.
func splitComment(l []byte) (kw, name string, rest []byte, ok bool) {
	t := trimBlank(l)
	if len(t) == 0 || t[0] != '#' {
		return "", "", nil, false
	}
	t = trimBlank(t[1:])
	i := 0
	for i < len(t) && t[i] != ' ' && t[i] != '\t' {
		i++
	}
	kw = string(t[:i])
	if kw != "HELP" && kw != "TYPE" && kw != "UNIT" {
		return kw, "", nil, false
	}
	t = trimBlank(t[i:])
	n := metricNameLen(t)
	if n == 0 || n == len(t) || (t[n] != ' ' && t[n] != '\t') {
		return kw, "", nil, false
	}
	return kw, string(t[:n]), trimBlank(t[n:]), true
}

func (r *lineFilter) comment(l []byte, lineNo int) comment {
	t := trimBlank(l)
	if len(t) == 0 {
		return comment{drop: true}
	}
	kw, name, rest, ok := splitComment(l)
	if !ok {
		if kw != "HELP" && kw != "TYPE" {
			// Other comments are ignored by the parser: an empty line is the
			// same to it.
			return comment{drop: true}
		}
		rest := trimBlank(trimBlank(t[1:])[len(kw):])
		if len(rest) == metricNameLen(rest) {
			// No name, or a name and nothing else: ignored too.
			return comment{drop: true}
		}
		// A quoted UTF-8 name, which the bookkeeping does not model, or an
		// error for the parser to report.
		r.blnd = true
		return comment{raw: l}
	}
	switch kw {
	case "UNIT":
		return comment{drop: true}
	case "TYPE":
		// Exactly the parser's reading: "counter " is an unknown type to it.
		word := strings.ToLower(string(rest))
		if r.om {
			switch word {
			case "counter":
				name = omCounterName(name)
			case "info":
				name, word = name+"_info", "gauge"
			case "stateset":
				word = "gauge"
			case "unknown":
				word = "untyped"
			case "gaugehistogram":
				// Its samples are _gcount and _gsum, which the text format
				// does not know: they parse as untyped families of their own.
				return comment{drop: true}
			}
		}
		fam := r.resolve(name)
		t := declaredType(word)
		if f := r.direct[fam]; f != nil && len(f.Series) > 0 {
			// expfmt never saw those samples, so it cannot say it.
			r.fail(lineNo, fmt.Sprintf("second TYPE line for metric name %q, or TYPE reported after samples", fam))
			return comment{drop: true}
		}
		if t == "" || r.known[fam] != "" {
			// An unknown type word, or a second TYPE: the parser's error.
			r.blnd = true
			return comment{raw: l}
		}
		r.known[fam] = t
		return comment{keyword: kw, name: name, text: []byte(word), family: fam}
	default: // HELP
		if r.om {
			switch r.omTypes[name] {
			case "counter":
				name = omCounterName(name)
			case "info":
				name += "_info"
			case "gaugehistogram":
				return comment{drop: true}
			}
		}
		fam := r.resolve(name)
		if _, ok := r.help[fam]; !ok {
			if h, ok := unescapeHelp(rest); ok {
				r.help[fam] = h
			}
		}
		return comment{keyword: kw, name: name, text: rest, family: fam}
	}
}

func omCounterName(name string) string {
	if strings.HasSuffix(name, "_total") {
		return name
	}
	return name + "_total"
}

func declaredType(word string) Type {
	switch word {
	case "counter":
		return Counter
	case "gauge":
		return Gauge
	case "summary":
		return Summary
	case "histogram", "gaugehistogram", "gauge_histogram":
		return Histogram
	case "untyped":
		return Untyped
	}
	return ""
}

// resolve files a name under a family the way expfmt's
// setOrCreateCurrentMF does, creating the family when nothing claims it.
func (r *lineFilter) resolve(name string) string {
	if _, ok := r.known[name]; ok {
		return name
	}
	for _, suf := range []string{"_count", "_sum", "_bucket"} {
		base, ok := strings.CutSuffix(name, suf)
		if !ok || base == "" {
			continue
		}
		switch t, ok := r.known[base]; {
		case !ok:
		case t == Summary && suf != "_bucket", t == Histogram:
			return base
		}
	}
	r.known[name] = ""
	return name
}

func (r *lineFilter) keepFamily(fam string, t Type) bool {
	if r.f == nil || r.blnd {
		return true
	}
	ok, seen := r.nameOK[fam]
	if !seen {
		ok = r.f.MatchName(fam)
		r.nameOK[fam] = ok
	}
	if t == "" {
		t = Untyped
	}
	return ok && r.f.MatchType(t)
}

// sample handles one sample line; line is the whole line, t the same with
// leading blanks removed. It appends the line to emit, without newline, and
// reports whether it did.
func (r *lineFilter) sample(line, t []byte) bool {
	sc, ok := r.scanSample(t)
	if !ok {
		// Not understood: the parser will say what is wrong, or, for a
		// construct this scanner does not model, parse it correctly; either
		// way the family bookkeeping can no longer be trusted.
		r.blnd = true
		r.out = append(r.out, line...)
		return true
	}
	name := t[:sc.nameEnd]
	if r.om {
		if base, ok := bytes.CutSuffix(name, []byte("_created")); ok {
			switch r.omTypes[string(base)] {
			case "counter", "summary", "histogram":
				return false
			}
		}
	}
	if r.blnd && !r.om {
		r.out = append(r.out, line...)
		return true
	}
	var fam string
	var typ Type
	if len(r.lastName) > 0 && bytes.Equal(name, r.lastName) {
		fam, typ = r.lastFam, r.lastType
	} else {
		// Where a sample name is filed never changes once it has been: the
		// name then exists as a family or its summary or histogram does.
		// The map lookup by string(name) does not allocate; resolve would.
		sf, ok := r.sampleFams[string(name)]
		if !ok {
			sf.fam = r.resolve(string(name))
			if r.known[sf.fam] == "" {
				r.known[sf.fam] = Untyped
			}
			sf.typ = r.known[sf.fam]
			r.sampleFams[string(name)] = sf
		}
		fam, typ = sf.fam, sf.typ
		r.lastName = append(r.lastName[:0], name...)
		r.lastFam, r.lastType = fam, typ
	}
	keep := r.keepFamily(fam, typ) && r.keepLabels(typ)
	if !keep && sc.valid {
		return false
	}
	if keep && sc.valid && !r.blnd && (typ == Counter || typ == Gauge || typ == Untyped) {
		if se, ok := r.directSeries(t, sc); ok {
			f := r.direct[fam]
			if f == nil {
				f = &Family{Name: fam, Type: typ}
				r.direct[fam] = f
			}
			f.Series = append(f.Series, se)
			return false
		}
	}
	if !r.om || !sc.valid {
		// An invalid OpenMetrics line goes as it is, for the parser to
		// report rather than for the translation to tidy up.
		r.out = append(r.out, line...)
		return true
	}
	r.out = append(r.out, t[:sc.valueEnd]...)
	if sc.tsStart > 0 {
		ts, err := strconv.ParseFloat(string(t[sc.tsStart:sc.tsEnd]), 64)
		if err != nil || math.IsNaN(ts) || math.IsInf(ts, 0) {
			// Let the parser report the line.
			r.out = append(r.out, t[sc.valueEnd:sc.tsEnd]...)
			return true
		}
		r.out = append(r.out, ' ')
		r.out = strconv.AppendInt(r.out, int64(math.Round(ts*1000)), 10)
	}
	return true
}

type scannedSample struct {
	nameEnd        int
	valueStart     int
	valueEnd       int
	tsStart, tsEnd int  // 0, 0 without timestamp
	valid          bool // value (and timestamp) parse: safe to drop silently
}

// scanSample reads a sample line the way expfmt does, recording the labels
// in r.labels. ok is false for anything it does not model.
func (r *lineFilter) scanSample(t []byte) (scannedSample, bool) {
	var sc scannedSample
	r.labels = r.labels[:0]
	n := metricNameLen(t)
	if n == 0 || n == len(t) {
		return sc, false
	}
	sc.nameEnd = n
	if c := t[n]; c != ' ' && c != '\t' && c != '{' {
		// expfmt reads on ("name"quoted, say): not modelled.
		return sc, false
	}
	i := n
	if t[i] == ' ' || t[i] == '\t' {
		i = len(t) - len(trimBlank(t[i:]))
	}
	if i < len(t) && t[i] == '{' {
		i++
		for {
			i = len(t) - len(trimBlank(t[i:]))
			if i >= len(t) {
				return sc, false
			}
			if t[i] == '}' {
				i++
				break
			}
			ln := labelNameLen(t[i:])
			if ln == 0 {
				return sc, false
			}
			var l scannedLabel
			l.name = t[i : i+ln]
			i += ln
			i = len(t) - len(trimBlank(t[i:]))
			if i >= len(t) || t[i] != '=' {
				return sc, false
			}
			i = len(t) - len(trimBlank(t[i+1:]))
			if i >= len(t) || t[i] != '"' {
				return sc, false
			}
			i++
			start := i
			for ; i < len(t) && t[i] != '"'; i++ {
				if t[i] == '\\' {
					if i+1 >= len(t) || (t[i+1] != '\\' && t[i+1] != '"' && t[i+1] != 'n') {
						return sc, false
					}
					l.escaped = true
					i++
				}
			}
			if i >= len(t) {
				return sc, false
			}
			l.value = t[start:i]
			r.labels = append(r.labels, l)
			i = len(t) - len(trimBlank(t[i+1:]))
			if i >= len(t) {
				return sc, false
			}
			if t[i] == ',' {
				i++
				continue
			}
			if t[i] != '}' {
				return sc, false
			}
			i++
			break
		}
		i = len(t) - len(trimBlank(t[i:]))
	}
	vs := i
	sc.valueStart = i
	for i < len(t) && t[i] != ' ' && t[i] != '\t' {
		i++
	}
	sc.valueEnd = i
	if vs == i {
		return sc, false
	}
	sc.valid = validFloat(t[vs:i])
	if i == len(t) {
		return sc, true
	}
	if r.om {
		// OpenMetrics: one space, then a timestamp, an exemplar, or both.
		rest := t[i+1:]
		if len(rest) > 0 && rest[0] != '#' {
			e := bytes.IndexAny(rest, " \t")
			if e < 0 {
				e = len(rest)
			}
			sc.tsStart, sc.tsEnd = i+1, i+1+e
			rest = rest[e:]
			ts := t[sc.tsStart:sc.tsEnd]
			if _, err := strconv.ParseFloat(string(ts), 64); err != nil {
				sc.valid = false
			}
		}
		if r2 := trimBlank(rest); len(r2) > 0 && r2[0] != '#' {
			sc.valid = false
		}
		return sc, true
	}
	i = len(t) - len(trimBlank(t[i:]))
	tsStart := i
	for i < len(t) && t[i] != ' ' && t[i] != '\t' {
		i++
	}
	if _, err := strconv.ParseInt(string(t[tsStart:i]), 10, 64); err != nil || i != len(t) {
		sc.valid = false
	}
	return sc, true
}

// validFloat mirrors expfmt's parseFloat. Plain decimals, nearly every
// value, are checked by hand: strconv.ParseFloat allocates for its error
// value, which costs one allocation per line of the exposition.
func validFloat(b []byte) bool {
	if plainDecimal(b) {
		return true
	}
	if bytes.ContainsAny(b, "pP_") {
		return false
	}
	_, err := strconv.ParseFloat(string(b), 64)
	return err == nil
}

// plainDecimal reports whether b is [+-]digits[.digits][e[+-]d[d]]: syntax
// ParseFloat accepts without overflow (exponents of three digits and more are
// left to ParseFloat, which rejects 1e400).
func plainDecimal(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		digits++
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 || exp > 2 {
			return false
		}
	}
	return i == len(b)
}

func metricNameLen(b []byte) int {
	i := 0
	for i < len(b) {
		c := b[i]
		if c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			i++
			continue
		}
		break
	}
	return i
}

func labelNameLen(b []byte) int {
	i := 0
	for i < len(b) && isLabelNameByte(b[i], i == 0) {
		i++
	}
	return i
}

// keepLabels applies the matchers to the labels of the scanned line, as
// MatchLabels will see them after parsing: a summary's quantile and a
// histogram's le are not series labels, and a pod name given to Parse
// shadows the exposition's own pod label.
func (r *lineFilter) keepLabels(t Type) bool {
	if r.f == nil || r.blnd {
		return true
	}
	for _, m := range r.f.matchers {
		if !m.matchesBytes(r.labelValue(m.Name, t)) {
			return false
		}
	}
	return true
}

func (r *lineFilter) labelValue(name string, t Type) []byte {
	lookup := name
	if len(r.pod) > 0 {
		switch name {
		case PodLabel:
			return r.pod
		case ExportedPodLabel:
			lookup = PodLabel
		}
	}
	if (t == Summary && name == "quantile") || (t == Histogram && name == "le") {
		return nil
	}
	for _, l := range r.labels {
		if string(l.name) != lookup {
			continue
		}
		if !l.escaped {
			return l.value
		}
		r.scratch = unescapeLabel(l.value, r.scratch[:0])
		return r.scratch
	}
	return nil
}

// lineError is a parse error the filter finds itself, already numbered
// with the exposition's line.
type lineError struct{ pe expfmt.ParseError }

func (e *lineError) Error() string { return e.pe.Error() }

func (r *lineFilter) fail(line int, msg string) {
	r.err = &lineError{expfmt.ParseError{Line: line, Msg: msg}}
	r.done = true
}

// directSeries builds the series of a counter, gauge or untyped sample line
// the scanner has read, checking what expfmt would check (no __name__
// label, no label twice, UTF-8 values). ok is false when a check fails: the
// line then goes to expfmt, which reports it.
//
// This is why a filter keeping 10,000 of 50,000 series costs little more
// than one keeping none: expfmt spends some 30 allocations a line (a map per
// label to find duplicates, a protobuf message per value), this path one or
// two. Summaries and histograms, whose lines must be grouped, still go
// through expfmt. FuzzParseFilter compares the two paths.
func (r *lineFilter) directSeries(t []byte, sc scannedSample) (Series, bool) {
	v, err := strconv.ParseFloat(string(t[sc.valueStart:sc.valueEnd]), 64)
	if err != nil {
		return Series{}, false
	}
	ls := make(Labels, 0, len(r.labels)+1)
	for i, l := range r.labels {
		if string(l.name) == "__name__" {
			return Series{}, false
		}
		for _, o := range r.labels[:i] {
			if bytes.Equal(o.name, l.name) {
				return Series{}, false
			}
		}
		val := l.value
		if l.escaped {
			val = unescapeLabel(l.value, r.scratch[:0])
			r.scratch = val
		}
		if !utf8.Valid(val) {
			return Series{}, false
		}
		name := r.internBytes(l.name)
		if len(r.pod) > 0 && name == PodLabel {
			name = ExportedPodLabel
		}
		ls = append(ls, Label{Name: name, Value: r.internBytes(val)})
	}
	if len(r.pod) > 0 {
		ls = append(ls, Label{Name: PodLabel, Value: r.internBytes(r.pod)})
	}
	slices.SortFunc(ls, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	return Series{Labels: ls, Value: v}, true
}

// internBytes returns a shared string for label names and the values that
// repeat (methods, codes), so that 10,000 series do not hold 10,000 copies
// of "get". The table is bounded: unique values past it are not kept.
func (r *lineFilter) internBytes(b []byte) string {
	if s, ok := r.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(r.intern) < 4096 {
		r.intern[s] = s
	}
	return s
}

func unescapeLabel(v, buf []byte) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			i++
			c = v[i]
			if c == 'n' {
				c = '\n'
			}
		}
		buf = append(buf, c)
	}
	return buf
}

// unescapeHelp reads a HELP text as expfmt does: \\, \n and \" are the
// escapes; any other makes the line an error (expfmt reports it).
func unescapeHelp(b []byte) (string, bool) {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b), true
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' {
			if i+1 >= len(b) {
				return "", false
			}
			i++
			switch b[i] {
			case '\\', '"':
				c = b[i]
			case 'n':
				c = '\n'
			default:
				return "", false
			}
		}
		out = append(out, c)
	}
	return string(out), true
}

// mergeDirect adds the families built by directSeries to those expfmt
// returned. A family can be in both only once the filter went blind: its
// earlier samples are here, the later ones from expfmt, so they go after.
func (r *lineFilter) mergeDirect(fams []*Family) []*Family {
	if len(r.direct) == 0 {
		return fams
	}
	byName := make(map[string]*Family, len(fams))
	for _, f := range fams {
		byName[f.Name] = f
	}
	for name, d := range r.direct {
		d.Help = r.help[name]
		if f := byName[name]; f != nil {
			f.Series = append(d.Series, f.Series...)
			if f.Help == "" {
				f.Help = d.Help
			}
			continue
		}
		fams = append(fams, d)
	}
	return fams
}
