package plan

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// FieldChange is one field of a child that changes, in the spelling of the
// ACK object: a spec path without "spec." (dbInstanceClass,
// tags[team]) or "annotation <key>".
type FieldChange struct {
	Path string `json:"path"`
	// Old and New are the values, "" when the field is absent on that side
	// (Absent* says so, to tell an empty string from no value).
	Old       string `json:"old,omitempty"`
	New       string `json:"new,omitempty"`
	AbsentOld bool   `json:"absentOld,omitempty"`
	AbsentNew bool   `json:"absentNew,omitempty"`
	// Means says what the change does in AWS, from the words table.
	Means string `json:"means,omitempty"`
	// Replace is set when AWS or ACK cannot make the change in place.
	Replace bool `json:"replace,omitempty"`
	// DeletesData is set when the change deletes data (a shorter retention).
	DeletesData bool `json:"deletesData,omitempty"`
}

// operatorAnnotations are the annotations the operator keeps on children for
// its own bookkeeping: they change nothing in AWS.
var operatorAnnotations = []string{
	"platform.docuflow.io/applied-hash",
	"platform.docuflow.io/applied-at",
	"platform.docuflow.io/inputs",
	"platform.docuflow.io/depends-on",
	// The ECS Service's hold between the operator's own changes: lifted
	// for one update and put back, without a change in AWS of its own.
	"services.k8s.aws/read-only",
}

// Diff compares a child as it is (live) with the result of applying the
// operator's render to it (after): the spec, and the annotations that mean
// something to ACK. Metadata the API server or the operator's bookkeeping
// keeps is left out. Both are JSON-shaped maps.
func Diff(live, after map[string]any) []FieldChange {
	var out []FieldChange
	diffValue("", normalise(live["spec"]), normalise(after["spec"]), &out)
	la, _ := nested(live, "metadata", "annotations").(map[string]any)
	aa, _ := nested(after, "metadata", "annotations").(map[string]any)
	for _, k := range unionKeys(la, aa) {
		if slices.Contains(operatorAnnotations, k) {
			continue
		}
		ov, oldOK := la[k]
		nv, newOK := aa[k]
		if oldOK == newOK && reflect.DeepEqual(ov, nv) {
			continue
		}
		out = append(out, FieldChange{Path: "annotation " + k, Old: scalar(ov), New: scalar(nv), AbsentOld: !oldOK, AbsentNew: !newOK})
	}
	return out
}

// overlay is body applied onto live the way a server-side apply merges
// maps: body's values win, field by field, and what only live has stays.
// Lists are body's whole (the kinds' lists are atomic, or owned by one
// writer).
func overlay(live, body map[string]any) map[string]any {
	out := make(map[string]any, len(live)+len(body))
	for k, v := range live {
		out[k] = v
	}
	for k, bv := range body {
		lm, lok := live[k].(map[string]any)
		bm, bok := bv.(map[string]any)
		if lok && bok {
			out[k] = overlay(lm, bm)
			continue
		}
		out[k] = bv
	}
	return out
}

// nested reads a value by its path of map keys, nil when absent.
func nested(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

// normalise puts a value into JSON's own shapes (float64 numbers), so that
// an object converted from a Go type and one decoded from the API server
// compare equal when they say the same.
func normalise(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

// diffValue appends the differences between old and new under path.
func diffValue(path string, old, new any, out *[]FieldChange) {
	if reflect.DeepEqual(old, new) {
		return
	}
	om, oldMap := old.(map[string]any)
	nm, newMap := new.(map[string]any)
	if oldMap && newMap || (oldMap && new == nil) || (newMap && old == nil) {
		for _, k := range unionKeys(om, nm) {
			ov, oldOK := om[k]
			nv, newOK := nm[k]
			if !oldOK && !newOK {
				continue
			}
			child := join(path, k)
			switch {
			case !oldOK:
				diffAbsent(child, nil, nv, true, false, out)
			case !newOK:
				diffAbsent(child, ov, nil, false, true, out)
			default:
				diffValue(child, ov, nv, out)
			}
		}
		return
	}
	ol, oldList := old.([]any)
	nl, newList := new.([]any)
	if (oldList || old == nil) && (newList || new == nil) {
		if diffTags(path, ol, nl, out) {
			return
		}
		if diffElements(path, ol, nl, out) {
			return
		}
	}
	if os, ok := old.(string); ok {
		if ns, ok := new.(string); ok {
			// A JSON document in a string (an IAM or endpoint policy) is
			// compared as JSON: AWS and ACK reformat it.
			var oj, nj any
			if json.Unmarshal([]byte(os), &oj) == nil && json.Unmarshal([]byte(ns), &nj) == nil {
				if _, isObj := oj.(map[string]any); isObj {
					if reflect.DeepEqual(oj, nj) {
						return
					}
					diffValue(path, oj, nj, out)
					return
				}
			}
		}
	}
	*out = append(*out, FieldChange{Path: path, Old: scalar(old), New: scalar(new), AbsentOld: old == nil, AbsentNew: new == nil})
}

// diffAbsent records a field that exists on one side only: a map by its
// leaves, so that a new block reads field by field.
func diffAbsent(path string, old, new any, absentOld, absentNew bool, out *[]FieldChange) {
	if m, ok := old.(map[string]any); ok && len(m) > 0 {
		diffValue(path, m, nil, out)
		return
	}
	if m, ok := new.(map[string]any); ok && len(m) > 0 {
		diffValue(path, nil, m, out)
		return
	}
	if _, ok := old.([]any); ok {
		diffValue(path, old, nil, out)
		return
	}
	if _, ok := new.([]any); ok {
		diffValue(path, nil, new, out)
		return
	}
	*out = append(*out, FieldChange{Path: path, Old: scalar(old), New: scalar(new), AbsentOld: absentOld, AbsentNew: absentNew})
}

// diffTags compares lists of {key, value} (AWS tags) as maps, key by key:
// tags[team]. It reports false for any other list.
func diffTags(path string, old, new []any, out *[]FieldChange) bool {
	om, ok1 := tagMap(old)
	nm, ok2 := tagMap(new)
	if !ok1 || !ok2 || len(old)+len(new) == 0 {
		return false
	}
	for _, k := range unionKeys(om, nm) {
		ov, oldOK := om[k]
		nv, newOK := nm[k]
		if oldOK == newOK && reflect.DeepEqual(ov, nv) {
			continue
		}
		*out = append(*out, FieldChange{Path: path + "[" + k + "]", Old: scalar(ov), New: scalar(nv), AbsentOld: !oldOK, AbsentNew: !newOK})
	}
	return true
}

// tagMap reads a list of {key, value} objects into a map.
func tagMap(l []any) (map[string]any, bool) {
	m := map[string]any{}
	for _, e := range l {
		t, ok := e.(map[string]any)
		if !ok || len(t) > 2 {
			return nil, false
		}
		k, ok := t["key"].(string)
		if !ok {
			return nil, false
		}
		if _, other := t["value"]; len(t) == 2 && !other {
			return nil, false
		}
		m[k] = t["value"]
	}
	return m, true
}

// diffElements compares lists of objects element by element: the elements
// one side holds and the other does not (ACK's lists are atomic and AWS
// compares most of them as sets: rules, routes, subnets).
func diffElements(path string, old, new []any, out *[]FieldChange) bool {
	if !allMaps(old) || !allMaps(new) || len(old)+len(new) == 0 {
		return false
	}
	for _, o := range old {
		if !slices.ContainsFunc(new, func(n any) bool { return reflect.DeepEqual(o, n) }) {
			*out = append(*out, FieldChange{Path: path + "[-]", Old: element(path, o), AbsentNew: true})
		}
	}
	for _, n := range new {
		if !slices.ContainsFunc(old, func(o any) bool { return reflect.DeepEqual(o, n) }) {
			*out = append(*out, FieldChange{Path: path + "[+]", New: element(path, n), AbsentOld: true})
		}
	}
	return true
}

// element prints one element of a list: a reference by the name it refers
// to, a security group rule as a rule reads, anything else as JSON.
func element(path string, e any) string {
	m, _ := e.(map[string]any)
	if name, ok := nested(m, "from", "name").(string); ok && len(m) == 1 {
		return name
	}
	if _, ok := m["ipProtocol"]; ok {
		return rule(path, m)
	}
	if r, ok := route(m); ok {
		return r
	}
	return scalar(refNames(e))
}

// refNames replaces every reference in a value by the name it refers to.
func refNames(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if name, ok := nested(x, "from", "name").(string); ok && len(x) == 1 {
			return name
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = refNames(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = refNames(e)
		}
		return out
	}
	return v
}

// route prints a route: "0.0.0.0/0 via docuflow-prod-nat-us-east-1a".
func route(m map[string]any) (string, bool) {
	var dest, via string
	for k, v := range refNames(m).(map[string]any) {
		switch {
		case strings.HasPrefix(k, "destination"):
			dest = scalar(v)
		case strings.HasSuffix(k, "Ref") || strings.HasSuffix(k, "ID"):
			via = scalar(v)
		default:
			return "", false
		}
	}
	if dest == "" || via == "" {
		return "", false
	}
	return dest + " via " + via, true
}

// rule prints a security group rule: "tcp 443 from 0.0.0.0/0",
// "tcp 5432 to docuflow-prod-db-sg".
func rule(path string, m map[string]any) string {
	proto := scalar(m["ipProtocol"])
	ports := scalar(m["fromPort"])
	if to := scalar(m["toPort"]); to != ports {
		ports += "-" + to
	}
	s := proto + " " + ports
	if proto == "-1" {
		s = "all traffic"
	}
	dir := " from "
	if strings.HasPrefix(path, "egress") {
		dir = " to "
	}
	var peers []string
	for _, list := range []struct{ field, key string }{{"ipRanges", "cidrIP"}, {"ipv6Ranges", "cidrIPv6"}, {"prefixListIDs", "prefixListID"}, {"userIDGroupPairs", "groupID"}} {
		items, _ := m[list.field].([]any)
		for _, it := range items {
			im, _ := it.(map[string]any)
			if name, ok := nested(im, "groupRef", "from", "name").(string); ok {
				peers = append(peers, name)
			} else if v := scalar(im[list.key]); v != "" {
				peers = append(peers, v)
			}
		}
	}
	return s + dir + strings.Join(peers, ", ")
}

func allMaps(l []any) bool {
	for _, e := range l {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// unionKeys returns the keys of both maps, sorted.
func unionKeys(a, b map[string]any) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// maxValue is how long a printed value may be; longer ones are cut.
const maxValue = 120

// scalar prints a value: strings as they are, numbers as JSON writes them,
// objects and lists as compact JSON, cut at maxValue characters.
func scalar(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		s = strconv.FormatInt(x, 10)
	case bool:
		s = strconv.FormatBool(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			s = fmt.Sprint(x)
		} else {
			s = string(b)
		}
	}
	if r := []rune(s); len(r) > maxValue {
		s = string(r[:maxValue-1]) + "…"
	}
	return strings.ReplaceAll(s, "\n", " ")
}
