package image

import (
	"strings"
	"testing"
)

func long(n int) string { return strings.Repeat("a", n) }

// Each name and its exact result: the parsed target, or the error.
var nameCases = []struct{ in, want string }{
	{"", "error: empty image name: use PROJECT/NAME[:TAG]"},
	{"   ", "error: empty image name: use PROJECT/NAME[:TAG]"},
	{"p/app", "p/app:latest"},
	{"p/app:v1", "p/app:v1"},
	{"p/app:latest", "p/app:latest"},
	{"App", "error: \"App\" has no project: the registry stores images as PROJECT/NAME, e.g. myproject/app"},
	{"app", "error: \"app\" has no project: the registry stores images as PROJECT/NAME, e.g. myproject/app"},
	{"p/App", "error: invalid image name \"App\" in \"p/App\": lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try \"app\""},
	{"P/app", "error: invalid project \"P\" in \"P/app\": a project name is lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit; try \"p\""},
	{"My_Project/app", "error: invalid project \"My_Project\" in \"My_Project/app\": a project name is lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit; try \"my-project\""},
	{"p/a/b", "error: \"p/a/b\" has 3 path levels: the registry allows one project level only (PROJECT/NAME); try p/a-b, or pass --flatten"},
	{"p/a/b/c:v1", "error: \"p/a/b/c:v1\" has 4 path levels: the registry allows one project level only (PROJECT/NAME); try p/a-b-c, or pass --flatten"},
	{"p/a:", "error: \"p/a:\" has an empty tag after ':': use NAME:TAG, or leave ':' out for latest"},
	{"p/a:-bad", "error: invalid tag \"-bad\" in \"p/a:-bad\": up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"},
	{"p/a:.bad", "error: invalid tag \".bad\" in \"p/a:.bad\": up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"},
	{"p/a@sha256:abcd", "error: \"p/a@sha256:abcd\" names a digest: push and tag write tags, use PROJECT/NAME:TAG (the digest is printed after the push)"},
	{"p/a:v1@sha256:abcd", "error: \"p/a:v1@sha256:abcd\" names a digest: push and tag write tags, use PROJECT/NAME:TAG (the digest is printed after the push)"},
	{"p//a", "error: \"p//a\" has an empty path level: use PROJECT/NAME"},
	{"/p/a", "error: \"/p/a\" has an empty path level: use PROJECT/NAME"},
	{"p/a/", "error: \"p/a/\" has an empty path level: use PROJECT/NAME"},
	{"p/..", "error: invalid image name \"..\" in \"p/..\": lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try \"myimage\""},
	{"p/a..b", "error: invalid image name \"a..b\" in \"p/a..b\": lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try \"a.b\""},
	{"p/a_b", "p/a_b:latest"},
	// OpenShift refuses these stream names after the upload: refused before it.
	{"p/a__b", "error: invalid image name \"a__b\" in \"p/a__b\": lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try \"a_b\""},
	{"p/a___b", "error: invalid image name \"a___b\" in \"p/a___b\": lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try \"a_b\""},
	{"p/a--b", "error: invalid image name \"a--b\" in \"p/a--b\": lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try \"a-b\""},
	{"p/a.-b", "error: invalid image name \"a.-b\" in \"p/a.-b\": lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try \"myimage\""},
	{"p/-a", "error: invalid image name \"-a\" in \"p/-a\": lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try \"a\""},
	{"p/a-", "error: invalid image name \"a-\" in \"p/a-\": lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try \"a\""},
	{"p/ä", "error: invalid image name \"ä\" in \"p/ä\": lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try \"myimage\""},
	{"pé/app", "error: invalid project \"pé\" in \"pé/app\": a project name is lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit; try \"p\""},
	{"p/a b", "error: image name \"p/a b\" contains spaces"},
	{"p/x", "p/x:latest"},
	{"image-registry.openshift-image-registry.svc:5000/p/app:v1", "image-registry.openshift-image-registry.svc:5000/p/app:v1"},
	{"localhost:15000/p/app", "localhost:15000/p/app:latest"},
	{"localhost/p/app", "localhost/p/app:latest"},
	{"127.0.0.1:15000/p/a/b", "error: \"127.0.0.1:15000/p/a/b\" has 3 path levels: the registry allows one project level only (PROJECT/NAME); try p/a-b, or pass --flatten"},
	{"reg.example.com/p/app", "reg.example.com/p/app:latest"},
	{"a.b/app", "error: invalid project \"a.b\" in \"a.b/app\": a project name is lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit; try \"a-b\""},
	{"p/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "error: repository name \"p/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is 262 characters long: the limit is 255"},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/app", "error: invalid project \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" in \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/app\": a project name is lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit; try \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""},
	{"p/app:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "error: invalid tag \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" in \"p/app:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"},
	{"p/app:v1.2_3-rc", "p/app:v1.2_3-rc"},
	{"p/app:UPPER", "p/app:UPPER"},
	{"1p/app", "1p/app:latest"},
	{"p-/app", "error: invalid project \"p-\" in \"p-/app\": a project name is lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit; try \"p\""},
	{"p/a.b.c", "p/a.b.c:latest"},
}

func TestParseTarget(t *testing.T) {
	if len(nameCases) < 30 {
		t.Fatalf("only %d cases", len(nameCases))
	}
	for _, c := range nameCases {
		got := ""
		tg, err := ParseTarget(c.in, false)
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = tg.String()
		}
		if got != c.want {
			t.Errorf("ParseTarget(%q):\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestParseTargetFlatten(t *testing.T) {
	for in, want := range map[string]string{
		"p/a/b":                   "p/a-b:latest",
		"p/team/tools/cli:v2":     "p/team-tools-cli:v2",
		"reg.example.com/p/a/b:1": "reg.example.com/p/a-b:1",
		"p/app":                   "p/app:latest",
	} {
		tg, err := ParseTarget(in, true)
		if err != nil || tg.String() != want {
			t.Errorf("flatten %q: got %v %v, want %s", in, tg, err, want)
		}
	}
	if _, err := ParseTarget("app", true); err == nil {
		t.Error("flatten cannot invent a project")
	}
}

// FuzzParseTarget: no panic; accepted names have exactly one project level,
// valid parts, and read back the same; errors are one line.
func FuzzParseTarget(f *testing.F) {
	for _, c := range nameCases {
		f.Add(c.in, false)
	}
	f.Add("p/a/b/c", true)
	f.Fuzz(func(t *testing.T, s string, flatten bool) {
		tg, err := ParseTarget(s, flatten)
		if err != nil {
			if strings.Contains(err.Error(), "\n") || err.Error() == "" {
				t.Fatalf("bad error for %q: %q", s, err)
			}
			return
		}
		if strings.Count(tg.Repo(), "/") != 1 || tg.Project == "" || tg.Name == "" || tg.Tag == "" {
			t.Fatalf("%q accepted as %+v", s, tg)
		}
		again, err := ParseTarget(tg.String(), false)
		if err != nil || again != tg {
			t.Fatalf("%q -> %q does not read back: %+v %v", s, tg.String(), again, err)
		}
	})
}
