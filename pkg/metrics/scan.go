package metrics

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/common/expfmt"
)

// lineFilter sits between the exposition and expfmt's parser. It does two
// jobs, one line at a time and without holding the exposition in memory:
//
//   - it drops the lines of families and series the filter excludes, and
//     builds the series of the lines it keeps itself, as expfmt would (see
//     directSample): expfmt builds a protobuf message per series and reads
//     a byte at a time, so that it costs several times what scanning does;
//     it only sees the HELP and TYPE lines of the families kept (it
//     reports their errors), lines the filter does not understand, and
//     lines that are errors, for it to report;
//   - it translates OpenMetrics into the text format, which is all expfmt
//     parses: counters are named with their _total, _created samples,
//     exemplars and UNIT lines are dropped, timestamps become milliseconds,
//     info, stateset and unknown map to gauge and untyped.
//
// Dropped lines are not passed on; the filter keeps a map from the
// parser's line numbers to the exposition's, to translate its errors.
//
// The filter is only an optimisation: Parse applies the same Filter to what
// expfmt returns (and to what the filter built, when it cannot tell it
// would keep it all). So whenever a line is not understood, it is passed
// through and expfmt decides. To know which family a sample line belongs to, the
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

	// The series the filter keeps are built here from the scanned lines
	// instead of by expfmt (see directSample).
	direct map[string]*directFam
	help   map[string]string // first HELP text per family, unescaped
	intern map[string]string // label names
	slab   Labels            // where seriesLabels allocates
	qslab  []Quantile        // and directDist
	arena  strings.Builder   // where label values are allocated
	// lastValues[i] is the value of the last series built at place i.
	lastValues []string
	lastNames  []string
	podName    string
	key        []byte
	order      []int

	// viaParser turns direct off: every line the filter keeps goes to
	// expfmt. The tests compare the two.
	viaParser bool

	lastFam string         // the family of the last sample line
	sorting sync.WaitGroup // see seal

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

	// The names of the last few sample lines: a summary's lines take
	// turns at three names, most families one.
	names    [4]cachedName
	nextName int
	cached   *cachedName // the current line's

	cur     []byte // the line scanSample read
	labels  []scannedLabel
	scratch []byte
}

type linePair struct{ out, in int }

type cachedName struct {
	name []byte
	sf   sampleFam
}

type sampleFam struct {
	fam    string
	typ    Type
	match  bool       // the filter keeps the family, by name and type
	direct *directFam // where its series go, when it does
}

// scannedLabel is a label of the line scanSample read (r.cur), by offsets:
// r.labels holds no pointers for the garbage collector to track.
type scannedLabel struct {
	nameStart, nameEnd   int
	valueStart, valueEnd int
	escaped              bool
}

func (r *lineFilter) lname(l *scannedLabel) []byte  { return r.cur[l.nameStart:l.nameEnd] }
func (r *lineFilter) lvalue(l *scannedLabel) []byte { return r.cur[l.valueStart:l.valueEnd] }

// lvalueUnescaped is the label's value, unescaped in r.scratch if need be.
func (r *lineFilter) lvalueUnescaped(l *scannedLabel) []byte {
	if !l.escaped {
		return r.lvalue(l)
	}
	r.scratch = unescapeLabel(r.lvalue(l), r.scratch[:0])
	return r.scratch
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
		podName: pod,
		known:   map[string]Type{},
		nameOK:  map[string]bool{},
		omTypes: map[string]string{},

		sampleFams: map[string]sampleFam{},
		direct:     map[string]*directFam{},
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
	r.names = [4]cachedName{} // families may change under the cache
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
		if d := r.direct[fam]; d != nil && (len(d.Series) > 0 || len(d.values) > 0) {
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
	return r.blnd || r.matchFamily(fam, t)
}

// matchFamily is keepFamily before the filter goes blind.
func (r *lineFilter) matchFamily(fam string, t Type) bool {
	if r.f == nil {
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
	if r.cached == nil {
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
			sf.match = r.matchFamily(sf.fam, sf.typ)
			if sf.match {
				sf.direct = r.direct[sf.fam]
				if sf.direct == nil {
					sf.direct = &directFam{Family: Family{Name: sf.fam, Type: sf.typ}}
					r.direct[sf.fam] = sf.direct
				}
			}
			r.sampleFams[string(name)] = sf
		}
		c := &r.names[r.nextName]
		r.nextName = (r.nextName + 1) % len(r.names)
		c.name = append(c.name[:0], name...)
		c.sf = sf
		r.cached = c
	}
	typ := r.cached.sf.typ
	if fam := r.cached.sf.fam; fam != r.lastFam {
		if d := r.direct[r.lastFam]; d != nil {
			r.seal(d)
		}
		r.lastFam = fam
	}
	keep := (r.blnd || r.cached.sf.match) && r.keepLabels(typ)
	if !keep && sc.valid {
		return false
	}
	if keep && sc.valid && !r.blnd && !r.viaParser && r.cached.sf.direct != nil && r.directSample(r.cached.sf.direct, name, t, sc) {
		return false
	}
	if !r.om || !sc.valid {
		// An invalid OpenMetrics line goes as it is, for the parser to
		// report rather than for the translation to tidy up.
		r.out = append(r.out, line...)
		return true
	}
	r.out = append(r.out, t[:sc.valueEnd]...)
	if sc.tsStart > 0 {
		// A finite number: scanSample found the line valid.
		ts, _ := strconv.ParseFloat(string(t[sc.tsStart:sc.tsEnd]), 64)
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
	r.cur = t
	// Lines mostly have the name of one of the last few: comparing is
	// cheaper than reading it byte by byte, and saves looking it up.
	r.cached = nil
	n := 0
	for k := range r.names {
		c := &r.names[k]
		if m := len(c.name); m > 0 && m < len(t) && isNameEnd(t[m]) && bytes.Equal(t[:m], c.name) {
			r.cached, n = c, m
			break
		}
	}
	if r.cached == nil {
		n = metricNameLen(t)
	}
	// The labels of a family the filter drops are only checked, not kept.
	record := r.cached == nil || r.cached.sf.match || r.blnd
	labels := r.labels[:0]
	defer func() { r.labels = labels }()
	if n == 0 || n == len(t) {
		return sc, false
	}
	sc.nameEnd = n
	if !isNameEnd(t[n]) {
		// expfmt reads on ("name"quoted, say): not modelled.
		return sc, false
	}
	i := skipBlank(t, n)
	if i < len(t) && t[i] == '{' {
		i++
		for {
			i = skipBlank(t, i)
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
			l := scannedLabel{nameStart: i, nameEnd: i + ln}
			i = skipBlank(t, i+ln)
			if i >= len(t) || t[i] != '=' {
				return sc, false
			}
			i = skipBlank(t, i+1)
			if i >= len(t) || t[i] != '"' {
				return sc, false
			}
			i++
			l.valueStart = i
			i = skipPlain(t, i)
			for ; i < len(t) && t[i] != '"'; i++ {
				if t[i] == '\\' {
					// Only \\, \" and \n are escapes.
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
			l.valueEnd = i
			if record {
				labels = append(labels, l)
			}
			i = skipBlank(t, i+1)
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
		i = skipBlank(t, i)
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
			// The translation cannot give expfmt a NaN or infinite
			// timestamp, so it leaves it to expfmt to report.
			ts := t[sc.tsStart:sc.tsEnd]
			if f, err := strconv.ParseFloat(string(ts), 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				sc.valid = false
			}
		}
		if r2 := trimBlank(rest); len(r2) > 0 && r2[0] != '#' {
			sc.valid = false
		}
		return sc, true
	}
	i = skipBlank(t, i)
	tsStart := i
	for i < len(t) && t[i] != ' ' && t[i] != '\t' {
		i++
	}
	if _, err := strconv.ParseInt(string(t[tsStart:i]), 10, 64); err != nil || i != len(t) {
		sc.valid = false
	}
	return sc, true
}

// skipPlain skips the bytes of a label value from i that are neither a
// quote nor a backslash, eight at a time, leaving the last few (or the
// rest after one) to the caller.
func skipPlain(t []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	const quotes, backslashes = '"' * ones, '\\' * ones
	for i+8 <= len(t) {
		w := binary.LittleEndian.Uint64(t[i:])
		q, b := w^quotes, w^backslashes
		// A zero byte in q or b is a quote or a backslash in w.
		if ((q-ones)&^q|(b-ones)&^b)&highs != 0 {
			break
		}
		i += 8
	}
	return i
}

func isNameEnd(c byte) bool { return c == ' ' || c == '\t' || c == '{' }

func skipBlank(t []byte, i int) int {
	for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		i++
	}
	return i
}

// The name tables: which bytes may start and continue a metric name and a
// label name.
const (
	metricStart = 1 << iota
	metricNext
	labelStart
	labelNext
)

var nameBytes = func() (tab [256]uint8) {
	for c := range 256 {
		b := byte(c)
		if isLabelNameByte(b, true) {
			tab[c] |= labelStart | labelNext | metricStart | metricNext
		}
		if isLabelNameByte(b, false) {
			tab[c] |= labelNext | metricNext
		}
	}
	tab[':'] |= metricStart | metricNext
	return tab
}()

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
	if len(b) == 0 || nameBytes[b[0]]&metricStart == 0 {
		return 0
	}
	i := 1
	for i < len(b) && nameBytes[b[i]]&metricNext != 0 {
		i++
	}
	return i
}

func labelNameLen(b []byte) int {
	if len(b) == 0 || nameBytes[b[0]]&labelStart == 0 {
		return 0
	}
	i := 1
	for i < len(b) && nameBytes[b[i]]&labelNext != 0 {
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
	for i := range r.labels {
		if l := &r.labels[i]; string(r.lname(l)) == lookup {
			return r.lvalueUnescaped(l)
		}
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

// directSample builds the series of a sample line the scanner has read,
// instead of passing the line on to expfmt: a series a line for counters,
// gauges and untyped values, and for summaries and histograms the lines
// grouped as expfmt groups them (see directDist). It checks what expfmt
// would check (no __name__ label, no label twice, UTF-8 values, quantile
// and le labels that are floats, no negative histogram counts) and returns
// false when a check fails: the line then goes to expfmt, which reports it.
// Since a line is only declined for an error, a series is never split
// between the two paths, except once the filter went blind (mergeDirect).
//
// This is why a filter keeping 10,000 of 50,000 series costs little more
// than one keeping none: expfmt spends some 30 allocations a line (a map per
// label to find duplicates, a protobuf message per value, one more per
// quantile or bucket), this path less than one. FuzzParseFilter compares
// the two paths.
func (r *lineFilter) directSample(d *directFam, name, t []byte, sc scannedSample) bool {
	v, err := strconv.ParseFloat(string(t[sc.valueStart:sc.valueEnd]), 64)
	if err != nil {
		return false
	}
	switch d.Type {
	case Counter, Gauge, Untyped:
		if !r.checkLabels("") {
			return false
		}
		if len(d.values) == cap(d.values) {
			d.values = slices.Grow(d.values, max(len(d.values), 8))
		}
		d.values = append(d.values, valueSeries{r.seriesLabels(""), v})
		return true
	case Summary, Histogram:
		// The role of a line is expfmt's: its name is the family's (a
		// quantile or a bucket), or the family's plus _count, _sum or, for
		// a histogram, _bucket (a bucket too).
		role := roleValue
		if len(name) > len(d.Name) {
			switch {
			case bytes.HasSuffix(name, []byte("_count")):
				role = roleCount
			case bytes.HasSuffix(name, []byte("_sum")):
				role = roleSum
			}
		}
		return r.directDist(d, role, v)
	}
	return false
}

// directFam is a family whose series the filter builds: Family.Series for
// summaries and histograms, values until finish for the others, which
// take less room than a Series while the slice grows.
type directFam struct {
	Family
	values []valueSeries

	sealed  bool // see seal
	sortedN int  // how many series seal sorted

	// Summaries and histograms: the lines of a series are grouped by
	// labelKey.
	index map[string]int
	flags []distFlags // by series
}

// seal builds the series of a large counter, gauge or untyped family
// once the exposition has gone on to another family, and sorts them on the
// side while the parse goes on: Parse then finds them sorted. Samples of
// the family that come later (expositions need not keep a family's lines
// together) go after them, and Parse sorts again.
func (r *lineFilter) seal(d *directFam) {
	if d == nil || d.sealed || len(d.values) < 1024 || (d.Type != Counter && d.Type != Gauge && d.Type != Untyped) {
		return
	}
	d.sealed = true
	d.finish()
	ss := d.Series
	d.sortedN = len(ss)
	r.sorting.Add(1)
	go func() {
		defer r.sorting.Done()
		sortSeries(ss)
	}()
}

type valueSeries struct {
	labels Labels
	value  float64
}

// grow makes room for one more series, doubling: append grows large
// slices by a quarter at a time, which for thousands of series of a
// hundred bytes allocates several times what they need.
func grow(ss []Series) []Series {
	if len(ss) < cap(ss) {
		return ss
	}
	return slices.Grow(ss, max(len(ss), 8))
}

const (
	roleValue = iota // a quantile or a bucket
	roleCount
	roleSum
)

// distFlags tracks what expfmt's protobuf message knows and a Series does
// not: a histogram's count and bucket counts are integers or floats.
type distFlags struct {
	floatCount  bool // a _count line was not an integer: that value wins
	floatBucket bool // a bucket count was not an integer
}

// directDist adds a line of a summary or histogram to its series, as
// expfmt's readingValue does: a series is the family's lines with the same
// labels once quantile (summary) or le (histogram) is left out, in any
// order and anywhere in the exposition; a _count or _sum line sets the
// count or sum (the last one wins), a quantile line without a quantile
// label (or with quantile="NaN") only creates the series, and so does a
// histogram line without le.
func (r *lineFilter) directDist(d *directFam, role int, v float64) bool {
	typ := d.Type
	special := "quantile"
	if typ == Histogram {
		special = "le"
	}
	if !r.checkLabels(special) {
		return false
	}
	// expfmt parses every quantile or le label of the line; the last counts.
	bound := math.NaN()
	for i := range r.labels {
		l := &r.labels[i]
		if string(r.lname(l)) != special {
			continue
		}
		val := r.lvalueUnescaped(l)
		if !validFloat(val) {
			return false
		}
		bound, _ = strconv.ParseFloat(string(val), 64)
	}
	// Histogram counts are integers, or floats when they are not whole;
	// negative ones are errors.
	var c float64
	isFloat := false
	if typ == Histogram && (role == roleCount || (role == roleValue && !math.IsNaN(bound))) {
		if u := uint64(v); float64(u) == v {
			c = float64(u)
		} else if v < 0 {
			return false
		} else {
			c, isFloat = v, true
		}
	}
	if d.index == nil {
		d.index = map[string]int{}
	}
	r.key = r.labelKey(r.key[:0], special)
	i, ok := d.index[string(r.key)]
	if !ok {
		i = len(d.Series)
		d.index[string(r.key)] = i
		d.Series = append(grow(d.Series), Series{Labels: r.seriesLabels(special)})
		d.flags = append(d.flags, distFlags{})
	}
	se, fl := &d.Series[i], &d.flags[i]
	switch {
	case role == roleSum:
		se.HasSum, se.Sum = true, v
	case role == roleCount && typ == Summary:
		se.HasCount, se.Count = true, float64(uint64(v))
	case role == roleCount:
		// expfmt keeps the last integer count and the last float one
		// apart, and reads the float one when there is one.
		if isFloat || !fl.floatCount {
			se.HasCount, se.Count = true, c
		}
		fl.floatCount = fl.floatCount || isFloat
	case math.IsNaN(bound):
	case typ == Summary:
		if se.Quantiles == nil {
			// Room for the usual three or four, many series to an
			// allocation.
			if cap(r.qslab)-len(r.qslab) < 4 {
				r.qslab = make([]Quantile, 0, max(min(2*cap(r.qslab), 1024), 64))
			}
			at := len(r.qslab)
			r.qslab = r.qslab[:at+4]
			se.Quantiles = r.qslab[at : at : at+4]
		}
		se.Quantiles = append(se.Quantiles, Quantile{Quantile: bound, Value: v})
	default:
		se.Buckets = append(se.Buckets, Bucket{UpperBound: bound, Count: c})
		fl.floatBucket = fl.floatBucket || isFloat
	}
	return true
}

// finish completes the family once everything is read: the series of
// counters, gauges and untyped values, and what expfmt does last to a
// histogram with a float bucket count, which gets a float count, zero when
// it had no _count line at all (normalizeHistogram).
func (d *directFam) finish() {
	if len(d.values) > 0 {
		d.Series = slices.Grow(d.Series, len(d.values))
		for _, v := range d.values {
			d.Series = append(d.Series, Series{Labels: v.labels, Value: v.value})
		}
		d.values = nil
	}
	if d.Type != Histogram {
		return
	}
	for i := range d.Series {
		if se := &d.Series[i]; !se.HasCount && d.flags[i].floatBucket {
			se.HasCount, se.Count = true, 0
		}
	}
}

// sortDist sorts quantiles and buckets as convertFamily does.
func sortDist(f *Family) {
	for i := range f.Series {
		se := &f.Series[i]
		slices.SortStableFunc(se.Quantiles, func(a, b Quantile) int { return cmpFloat(a.Quantile, b.Quantile) })
		slices.SortStableFunc(se.Buckets, func(a, b Bucket) int { return cmpFloat(a.UpperBound, b.UpperBound) })
	}
}

// checkLabels checks the scanned labels as expfmt does: no __name__, no
// invalid UTF-8 (escapes are ASCII, so the raw value tells), no name twice
// except special, the quantile of a summary or the le of a histogram, which
// expfmt leaves out of the labels before looking for duplicates.
func (r *lineFilter) checkLabels(special string) bool {
	for i := range r.labels {
		l := &r.labels[i]
		name := r.lname(l)
		if string(name) == "__name__" || !utf8.Valid(r.lvalue(l)) {
			return false
		}
		if string(name) == special {
			continue
		}
		for j := range i {
			if bytes.Equal(r.lname(&r.labels[j]), name) {
				return false
			}
		}
	}
	return true
}

// labelKey appends a key for the scanned labels less special: sorted by
// name, values as written. Only three characters have an escape, and
// those must be escaped, so a value has one spelling and the key is
// expfmt's LabelsToSignature without the hashing.
func (r *lineFilter) labelKey(b []byte, special string) []byte {
	r.order = r.order[:0]
	for i := range r.labels {
		name := r.lname(&r.labels[i])
		if string(name) == special {
			continue
		}
		j := len(r.order)
		r.order = append(r.order, i)
		for ; j > 0 && bytes.Compare(r.lname(&r.labels[r.order[j-1]]), name) > 0; j-- {
			r.order[j] = r.order[j-1]
		}
		r.order[j] = i
	}
	for _, i := range r.order {
		l := &r.labels[i]
		b = append(b, r.lname(l)...)
		b = append(b, 0xff)
		b = append(b, r.lvalue(l)...)
		b = append(b, 0xfe)
	}
	return b
}

// seriesLabels builds the labels of the scanned line less special, as
// convertLabels does: the exposition's pod label renamed when Parse has a
// pod name, which is added, and sorted by name. The labels of many series
// share one allocation.
func (r *lineFilter) seriesLabels(special string) Labels {
	n := 0
	for i := range r.labels {
		if string(r.lname(&r.labels[i])) != special {
			n++
		}
	}
	if len(r.pod) > 0 {
		n++
	}
	if cap(r.slab)-len(r.slab) < n {
		r.slab = make(Labels, 0, max(n, min(2*cap(r.slab), 1024), 64))
	}
	at := len(r.slab)
	r.slab = r.slab[:at+n]
	ls := r.slab[at : at : at+n]
	if len(r.lastValues) < len(r.labels) {
		r.lastValues = append(r.lastValues, make([]string, len(r.labels)-len(r.lastValues))...)
		r.lastNames = append(r.lastNames, make([]string, len(r.labels)-len(r.lastNames))...)
	}
	for i := range r.labels {
		l := &r.labels[i]
		b := r.lname(l)
		if string(b) == special {
			continue
		}
		// Series that follow each other mostly share names and values
		// (promhttp sorts them): the last string at the same place is the
		// cheap guess.
		if string(b) != r.lastNames[i] {
			r.lastNames[i] = r.internBytes(b)
		}
		name := r.lastNames[i]
		if len(r.pod) > 0 && name == PodLabel {
			name = ExportedPodLabel
		}
		v := r.lvalueUnescaped(l)
		if string(v) != r.lastValues[i] {
			r.lastValues[i] = r.arenaString(v)
		}
		ls = append(ls, Label{Name: name, Value: r.lastValues[i]})
	}
	if len(r.pod) > 0 {
		ls = append(ls, Label{Name: PodLabel, Value: r.podName})
	}
	// By name, as convertLabels sorts them. Up to 12 labels (nearly
	// always), slices.SortFunc is this insertion sort, without the calls.
	if len(ls) > 12 {
		slices.SortFunc(ls, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
		return ls
	}
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Name < ls[j-1].Name; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
	return ls
}

// internBytes returns a shared string for a label name: there are few.
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

// arenaString returns b as a string that shares its allocation with the
// strings before it: label values are many and short. A strings.Builder
// only ever appends, so the strings it returned stay as they were.
func (r *lineFilter) arenaString(b []byte) string {
	if len(b) == 0 || len(b) > 1024 {
		return string(b)
	}
	if r.arena.Cap()-r.arena.Len() < len(b) {
		size := max(min(2*r.arena.Cap(), 32<<10), 1024)
		r.arena = strings.Builder{}
		r.arena.Grow(size)
	}
	start := r.arena.Len()
	r.arena.Write(b)
	return r.arena.String()[start:]
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

// mergeDirect adds the families the filter built to those expfmt returned.
// A family can be in both only once the filter went blind: its earlier
// samples are here, the later ones from expfmt. Counters, gauges and
// untyped values go after; a summary's or histogram's lines are grouped by
// labels as expfmt would have (except for its integer and float counts,
// which only expfmt tells apart).
//
// It also tells Parse which families need no more of its work: families
// only the filter built hold only series the filter kept, as Parse would
// filter them, unless a matcher is on the pod label, the exposition's own
// being then renamed (a line with both pod and exported_pod labels has
// its two exported_pod labels in an order keepLabels does not look at);
// and those seal sorted are sorted.
func (r *lineFilter) mergeDirect(fams []*Family) ([]*Family, map[*Family]parseDone) {
	r.sorting.Wait()
	if len(r.direct) == 0 {
		return fams, nil
	}
	done := map[*Family]parseDone{}
	podMatcher := false
	if r.f != nil {
		for _, m := range r.f.matchers {
			podMatcher = podMatcher || m.Name == PodLabel || m.Name == ExportedPodLabel
		}
	}
	byName := make(map[string]*Family, len(fams))
	for _, f := range fams {
		byName[f.Name] = f
	}
	for name, d := range r.direct {
		d.finish()
		if len(d.Series) == 0 {
			continue
		}
		d.Help = r.help[name]
		dist := d.Type == Summary || d.Type == Histogram
		f := byName[name]
		switch {
		case f == nil:
			f = &d.Family
			fams = append(fams, f)
			done[f] = parseDone{filtered: !podMatcher && !r.blnd, sorted: d.sealed && d.sortedN == len(d.Series)}
		case !dist || f.Type != d.Type:
			f.Series = append(d.Series, f.Series...)
		default:
			f.Series = mergeDist(d.Series, f.Series)
		}
		if f.Help == "" {
			f.Help = d.Help
		}
		if dist {
			sortDist(f)
		}
	}
	return fams, done
}

// parseDone says what Parse need not do to a family again.
type parseDone struct{ filtered, sorted bool }

// mergeDist adds the series expfmt built of a summary or histogram (later
// lines) to those the filter built (earlier ones).
func mergeDist(direct, later []Series) []Series {
	index := make(map[string]int, len(direct))
	for i := range direct {
		index[direct[i].Labels.key()] = i
	}
	for _, se := range later {
		i, ok := index[se.Labels.key()]
		if !ok {
			direct = append(direct, se)
			continue
		}
		d := &direct[i]
		d.Quantiles = append(d.Quantiles, se.Quantiles...)
		d.Buckets = append(d.Buckets, se.Buckets...)
		if se.HasCount {
			d.HasCount, d.Count = true, se.Count
		}
		if se.HasSum {
			d.HasSum, d.Sum = true, se.Sum
		}
	}
	return direct
}
