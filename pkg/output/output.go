// Package output prints results as text, JSON or YAML.
package output

import (
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// Formats lists the values -o accepts besides the default text form.
var Formats = []string{"json", "yaml"}

// Validate checks an -o value.
func Validate(format string) error {
	switch format {
	case "", "json", "yaml":
		return nil
	}
	return fmt.Errorf("unknown output format %q: use json or yaml, or leave -o out for text", format)
}

// Print writes v in the given format; text is used for the default format.
func Print(w io.Writer, format string, v any, text func(io.Writer) error) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case "":
		return text(w)
	}
	return Validate(format)
}
