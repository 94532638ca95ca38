// Package output prints results as text, JSON, YAML or a JSONPath template,
// and Kubernetes objects the way kubectl does (cli-runtime's printers:
// apiVersion and kind set, managedFields hidden, -o name).
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/yaml"
)

// Formats lists the values -o accepts besides the default text form.
var Formats = []string{"json", "yaml", "jsonpath=TEMPLATE"}

// Validate checks an -o value for a command that prints its own results.
func Validate(format string) error { return validate(format, false) }

func validate(format string, objects bool) error {
	switch {
	case format == "", format == "json", format == "yaml":
		return nil
	case format == "name" && objects:
		return nil
	case strings.HasPrefix(format, "jsonpath="):
		if _, err := printers.NewJSONPathPrinter(strings.TrimPrefix(format, "jsonpath=")); err != nil {
			return fmt.Errorf("-o %s: %v", format, err)
		}
		return nil
	}
	names := "json, yaml or jsonpath=TEMPLATE"
	if objects {
		names = "json, yaml, name or jsonpath=TEMPLATE"
	}
	return fmt.Errorf("unknown output format %q: use %s, or leave -o out for text", format, names)
}

// Print writes v, one of our own result types, in the given format; text
// is used for the default format.
func Print(w io.Writer, format string, v any, text func(io.Writer) error) error {
	switch {
	case format == "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case format == "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case strings.HasPrefix(format, "jsonpath="):
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			return err
		}
		return jsonpath(w, format, doc)
	case format == "":
		return text(w)
	}
	return Validate(format)
}

// Flags is -o/--output, declared once for every command.
type Flags struct {
	Format string
	// Objects says the command prints Kubernetes objects, so that
	// -o name is offered too.
	Objects bool
}

// AddFlags declares -o.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	formats := "json, yaml or jsonpath=TEMPLATE"
	if f.Objects {
		formats = "json, yaml, name or jsonpath=TEMPLATE"
	}
	fs.StringVarP(&f.Format, "output", "o", "", "Output format: "+formats+" (default: text).")
}

// Validate checks the -o value.
func (f *Flags) Validate() error { return validate(f.Format, f.Objects) }

// Print writes one of our own results (see the package Print).
func (f *Flags) Print(w io.Writer, v any, text func(io.Writer) error) error {
	return Print(w, f.Format, v, text)
}

// scheme knows the object types the commands print; a small one, because
// client-go's full scheme costs start-up time (bench/startup.sh).
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = rbacv1.AddToScheme(s)
	return s
}()

// PrintObject writes a Kubernetes object as kubectl would: apiVersion and
// kind set (a typed client's answer lacks them), managedFields hidden.
func (f *Flags) PrintObject(w io.Writer, obj runtime.Object) error {
	obj = obj.DeepCopyObject()
	var p printers.ResourcePrinter
	switch {
	case f.Format == "json":
		p = &printers.JSONPrinter{}
	case f.Format == "yaml":
		p = &printers.YAMLPrinter{}
	case f.Format == "name":
		p = &printers.NamePrinter{}
	case strings.HasPrefix(f.Format, "jsonpath="):
		// The object's JSON, as -o json prints it, is what the template
		// queries.
		var buf bytes.Buffer
		if err := (&Flags{Format: "json"}).PrintObject(&buf, obj); err != nil {
			return err
		}
		var doc any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			return err
		}
		return jsonpath(w, f.Format, doc)
	default:
		return f.Validate()
	}
	return printers.NewTypeSetter(scheme).ToPrinter(&printers.OmitManagedFieldsPrinter{Delegate: p}).PrintObj(obj, w)
}

// jsonpath runs -o jsonpath=TEMPLATE over a JSON document, with kubectl's
// behaviour for missing keys (printed as nothing) and a one-line error.
func jsonpath(w io.Writer, format string, doc any) error {
	tmpl := strings.TrimPrefix(format, "jsonpath=")
	p, err := printers.NewJSONPathPrinter(tmpl)
	if err != nil {
		return fmt.Errorf("-o %s: %v", format, err)
	}
	p.AllowMissingKeys(true)
	if err := p.Execute(w, doc); err != nil {
		return fmt.Errorf("-o %s: %v", format, err)
	}
	return nil
}
