// Package logs reads the image registry's logs from its pods: it parses the
// registry's logrus lines, filters them, prints them raw or as JSON, merges
// many pods by arrival, and follows them without losing or repeating a line.
// It does not import cobra or client-go's clientsets: the command supplies a
// Source and turns flags into Options.
//
// # Lines
//
// The pod log API is always asked for timestamps=true, so each line starts
// with the kubelet's RFC 3339 timestamp and a space (Line.Stamp and
// Line.KubeletTime). The rest is what the registry wrote (Entry.Raw): logrus
// text, time="..." level=info msg="..." then the other keys sorted, a value
// Go-quoted (%q) when it holds anything outside [A-Za-z0-9-._/@^+]; or, if
// its formatter was changed, one logrus JSON object. A line that is neither
// passes through unchanged with Parsed false; nothing is ever dropped for
// not parsing.
//
// # Filters
//
// See FilterOptions and Filter: level threshold, --grep and --exclude on the
// message, and exact or glob matches on openshift.auth.user, vars.name,
// http.response.status (404, 4xx, >=400, <500, 400-499, !=200, comma = or)
// and http.request.method. They combine with AND.
//
// # JSON output
//
// With -o json every line printed is one JSON object on one line. Every
// value is a string. The keys, in this order:
//
//	pod           the pod name
//	container     the container name
//	kubelet_time  the kubelet timestamp (with -f or --timestamps; absent if the line had none)
//	time          the registry's time field as written ("" if none)
//	level         the level as written: trace, debug, info, warning, error, fatal, panic ("" if none)
//	msg           the message; for a line that did not parse, the whole line
//	parsed        "false", only on lines that did not parse
//	<field>...    every other field of the line, in the line's order, under its
//	              own name (http.response.status, vars.name, openshift.auth.user,
//	              err.code, ...); values unquoted; JSON numbers, booleans,
//	              objects and arrays from a JSON line keep their JSON text
//
// A field whose name is one of the keys above is written as "fields.<name>",
// as logrus's JSON formatter does. Invalid UTF-8 becomes U+FFFD.
//
// Example:
//
//	{"pod":"image-registry-5d8f","container":"registry","kubelet_time":"2026-01-01T10:00:00.123456789Z","time":"2026-01-01T10:00:00.12345Z","level":"info","msg":"response completed","http.request.method":"GET","http.response.status":"200","openshift.auth.user":"alice","vars.name":"p/app"}
//
// # Following
//
// Streamer.Run reads a fixed set of containers, Streamer.Track a set that
// changes (pods appearing and going during a rollout). When following,
// every end of a stream of a running container, clean EOF or error, is
// followed by a status check and a reconnect with sinceTime set to the last
// kubelet timestamp read, truncated to the second (the API takes whole
// seconds). The lines of that second that were already read are dropped,
// recognised by their full nanosecond timestamp and a hash of their content;
// only the latest second's lines are remembered. A line the stream was cut
// in the middle of is held back until the reconnect sends it whole. A
// container with a new ID was restarted: the end of the old one's log is
// read with previous=true, then the new one from its start. A deleted pod
// or a container that will not run again is given up with a note. Errors
// that no retry can mend (Forbidden, Unauthorized by default) end the run.
//
// Memory is bounded whatever the number of pods or the length of lines:
// at most MaxLogRequests streams are open, each holds at most MaxLineBytes
// of a line, and longer lines are passed through in parts, unparsed.
//
// # Wiring it to client-go
//
// The command implements Source:
//
//	func (s podSource) OpenLog(ctx context.Context, r logs.LogRequest) (io.ReadCloser, error) {
//		opts := &corev1.PodLogOptions{
//			Container:    r.Container,
//			Follow:       r.Follow,
//			Previous:     r.Previous,
//			Timestamps:   r.Timestamps || r.Follow, // following resumes on it
//			SinceSeconds: r.SinceSeconds,
//			TailLines:    r.TailLines,
//		}
//		if r.SinceTime != nil {
//			t := metav1.NewTime(*r.SinceTime)
//			opts.SinceTime = &t
//		}
//		return s.client.CoreV1().Pods(r.Namespace).GetLogs(r.Pod, opts).Stream(ctx)
//	}
//
//	func (s podSource) ContainerStatus(ctx context.Context, t logs.Target) (logs.ContainerStatus, error) {
//		pod, err := s.client.CoreV1().Pods(t.Namespace).Get(ctx, t.Pod, metav1.GetOptions{})
//		if apierrors.IsNotFound(err) {
//			return logs.ContainerStatus{PodGone: true}, nil
//		}
//		... PodGone also if pod.DeletionTimestamp != nil and no container runs;
//		Finished if pod.Status.Phase is Succeeded or Failed; Running and
//		ContainerID from the ContainerStatuses entry named t.Container.
//	}
//
// then builds a Printer (stdout) and a Filter from the flags, a Streamer with
// Notes set to stderr, and calls Run with the pods listed, or, with -f,
// Track fed with the matching pods' targets from a watch or periodic list,
// and cancels its context once Track returns.
package logs
