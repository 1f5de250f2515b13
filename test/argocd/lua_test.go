package argocd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// configDir is config/argocd, relative to this package.
var configDir = filepath.Join("..", "..", "config", "argocd")

// healthStatus is what Argo CD reads back from the table the script returns.
type healthStatus struct {
	Status  string
	Message string
	// DeletionMessage replaces Message in Argo CD 3.6 while the object has a
	// deletionTimestamp.
	DeletionMessage string
}

// readHealthScript returns config/argocd/health.lua.
func readHealthScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(configDir, "health.lua"))
	if err != nil {
		t.Fatalf("reading the health check: %v", err)
	}
	return string(b)
}

// runHealth runs a health script against obj as Argo CD's util/lua does:
// standard libraries skipped, then only package, base and table opened (Argo CD
// adds a restricted os the script does not need), a one-second deadline, the
// object as the global obj, and the table left on the stack read back.
func runHealth(t *testing.T, script string, obj any) healthStatus {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatalf("encoding the object: %v", err)
	}
	// The script sees the object as Argo CD has it: decoded from the API
	// server's JSON, not as the Go value the test built.
	var decoded any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatalf("decoding the object: %v", err)
	}

	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			t.Fatalf("opening the Lua %s library: %v", lib.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, decoded))

	if err := l.DoString(script); err != nil {
		t.Fatalf("running the health check: %v", err)
	}
	hs, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("health check returned %s, want a table", l.Get(-1).Type())
	}
	// Argo CD decodes the table through JSON into {status, message,
	// deletionMessage}: anything but strings there fails the whole check.
	var got healthStatus
	switch v := hs.RawGetString("status").(type) {
	case lua.LString:
		got.Status = string(v)
	default:
		t.Fatalf("hs.status is %s, want a string", v.Type())
	}
	for field, dst := range map[string]*string{"message": &got.Message, "deletionMessage": &got.DeletionMessage} {
		switch v := hs.RawGetString(field).(type) {
		case lua.LString:
			*dst = string(v)
		case *lua.LNilType:
		default:
			t.Fatalf("hs.%s is %s, want a string", field, v.Type())
		}
	}
	switch got.Status {
	case "Healthy", "Progressing", "Degraded", "Suspended":
	default:
		t.Fatalf("hs.status is %q, which Argo CD turns into Unknown", got.Status)
	}
	return got
}

// toLua converts decoded JSON to Lua values as Argo CD's decodeValue does:
// objects to tables, arrays to 1-based tables, numbers to LNumber.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(toLua(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetString(key, toLua(l, item))
		}
		return tbl
	}
	return lua.LNil
}
