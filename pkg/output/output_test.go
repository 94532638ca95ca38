package output

import (
	"bytes"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What a typed client returns: no apiVersion or kind, managedFields set.
func fromServer() *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "oc-registry-editor", Namespace: "team-a",
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "oc-registry", Operation: metav1.ManagedFieldsOperationUpdate}}},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "registry-editor"},
	}
}

func TestPrintObject(t *testing.T) {
	tests := []struct{ format, want, not string }{
		{"yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n", "managedFields"},
		{"json", "\"kind\": \"RoleBinding\",\n    \"apiVersion\": \"rbac.authorization.k8s.io/v1\"", "managedFields"},
		{"name", "rolebinding.rbac.authorization.k8s.io/oc-registry-editor\n", ""},
		{"jsonpath={.metadata.name}", "oc-registry-editor", ""},
		{"jsonpath={.kind} {.roleRef.name}", "RoleBinding registry-editor", ""},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		obj := fromServer()
		if err := (&Flags{Format: tt.format, Objects: true}).PrintObject(&b, obj); err != nil {
			t.Fatalf("-o %s: %v", tt.format, err)
		}
		if !strings.Contains(b.String(), tt.want) || (tt.not != "" && strings.Contains(b.String(), tt.not)) {
			t.Errorf("-o %s:\n%s\nwant %q, without %q", tt.format, b.String(), tt.want, tt.not)
		}
		if obj.Kind != "" || len(obj.ManagedFields) != 1 {
			t.Errorf("-o %s changed the object it was given", tt.format)
		}
	}
}

func TestPrintResultJSONPath(t *testing.T) {
	var b bytes.Buffer
	v := struct {
		Holders []struct{ Name string } `json:"holders"`
	}{Holders: []struct{ Name string }{{"alice"}, {"bob"}}}
	if err := Print(&b, "jsonpath={.holders[*].Name}", v, nil); err != nil || b.String() != "alice bob" {
		t.Fatalf("jsonpath: %q %v", b.String(), err)
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		format  string
		objects bool
		ok      bool
	}{
		{"", false, true}, {"json", false, true}, {"yaml", false, true}, {"jsonpath={.a}", false, true},
		{"name", false, false}, {"name", true, true}, {"xml", true, false}, {"jsonpath={.a", false, false},
	} {
		if err := (&Flags{Format: tt.format, Objects: tt.objects}).Validate(); (err == nil) != tt.ok {
			t.Errorf("-o %q (objects %v): %v", tt.format, tt.objects, err)
		}
	}
}
