package trace

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

// Options say how a tree is printed.
type Options struct {
	// Wide adds the ARN and the dependencies of each child, and shows the
	// short AWS ID alone in its column.
	Wide bool
	// Color marks ready green, Terminal red and anything in progress
	// yellow, with ANSI escapes: for a terminal only.
	Color bool
}

// WriteJSON prints the tree as indented JSON.
func (t Tree) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}

// WriteText prints the tree as a table whose first column is the tree.
func (t Tree) WriteText(w io.Writer, o Options) error {
	tb := table{color: o.Color}
	header := []string{"NAME", "SYNCED", "READY", "AGE", "AWS ID", "MESSAGE"}
	if o.Wide {
		header = []string{"NAME", "SYNCED", "READY", "AGE", "AWS ID", "ARN", "DEPENDS ON", "MESSAGE"}
	}
	tb.row(plain(header)...)

	s := t.Stack
	ready := s.Reason
	if s.Ready {
		ready = platformv1alpha1.ReasonReady
	}
	root := []cell{
		{text: fmt.Sprintf("DocuFlowStack %s/%s", s.Namespace, s.Name)},
		{text: "-"},
		{text: ready, color: stateColor(s.Ready, s.Reason)},
		{text: t.age(s.Created)},
		{text: s.URL},
	}
	if o.Wide {
		root = append(root, cell{text: ""}, cell{text: ""})
	}
	tb.row(append(root, cell{text: s.Message})...)

	for gi, g := range t.Families {
		lastGroup := gi == len(t.Families)-1
		branch, indent := "├─ ", "│  "
		if lastGroup {
			branch, indent = "└─ ", "   "
		}
		state := g.Reason
		if g.Status == string(metav1.ConditionTrue) {
			state = platformv1alpha1.ReasonReady
		}
		row := []cell{
			{text: branch + g.Family + groupSuffix(g)},
			{text: ""},
			{text: state, color: stateColor(g.Status == string(metav1.ConditionTrue), g.Reason)},
			{text: ""},
			{text: ""},
		}
		if o.Wide {
			row = append(row, cell{text: ""}, cell{text: ""})
		}
		msg := ""
		if g.Status != string(metav1.ConditionTrue) {
			msg = g.Message
		}
		tb.row(append(row, cell{text: msg})...)

		for ci, c := range g.Children {
			b := "├─ "
			if ci == len(g.Children)-1 {
				b = "└─ "
			}
			tb.row(t.childRow(indent+b, c, o)...)
		}
	}
	return tb.write(w)
}

// groupSuffix names a family's condition, for example " (NetworkReady)".
func groupSuffix(g Group) string {
	if g.Condition == "" {
		return ""
	}
	return " (" + g.Condition + ")"
}

// childRow is one child's row.
func (t Tree) childRow(prefix string, c Child, o Options) []cell {
	synced := c.Synced
	switch {
	case c.Probe:
		synced = "probe"
	case !c.Exists:
		synced = "-"
	case synced == "":
		synced = "Unknown"
	}
	ready := c.Reason
	if c.Ready {
		ready = platformv1alpha1.ReasonReady
	}
	if ready == "" {
		ready = "Unknown"
	}
	age := "-"
	if c.Exists {
		age = t.age(c.Created)
	}
	msg := c.Message
	if !c.Exists && c.Reason == platformv1alpha1.ReasonWaitingForDependency && msg == "" {
		msg = "not created yet"
	}
	row := []cell{
		{text: prefix + c.Kind + " " + c.Name},
		{text: synced, color: syncedColor(synced)},
		{text: ready, color: stateColor(c.Ready, c.Reason)},
		{text: age},
	}
	if o.Wide {
		id := c.ID
		if id == c.ARN {
			id = ""
		}
		row = append(row, cell{text: id}, cell{text: c.ARN}, cell{text: strings.Join(c.DependsOn, ",")})
	} else {
		row = append(row, cell{text: shortID(c.ID)})
	}
	return append(row, cell{text: msg})
}

// shortID is an ID as the narrow table shows it: an ARN without the
// "arn:partition:service:region:account:" every child of a stack shares,
// and elided in the middle past idWidth; -o wide and json show it whole.
func shortID(id string) string {
	if strings.HasPrefix(id, "arn:") {
		if parts := strings.SplitN(id, ":", 6); len(parts) == 6 {
			id = parts[5]
		}
	}
	r := []rune(id)
	if len(r) <= idWidth {
		return id
	}
	head := idWidth / 3
	return string(r[:head]) + "…" + string(r[len(r)-(idWidth-head-1):])
}

// idWidth is the widest ID the narrow table shows whole.
const idWidth = 60

// age is how long ago t was, the way kubectl prints it.
func (t Tree) age(at time.Time) string {
	if at.IsZero() {
		return "-"
	}
	return duration.HumanDuration(t.now.Sub(at))
}

// ANSI colours.
const (
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	red    = "\x1b[31m"
	reset  = "\x1b[0m"
)

// stateColor colours a verdict: green when ready, red when a person must
// act (Terminal, a missing feature gate or CRD, lost track of an AWS
// resource, an invalid spec), yellow otherwise.
func stateColor(ready bool, reason string) string {
	switch {
	case ready:
		return green
	case reason == platformv1alpha1.ReasonTerminal, reason == platformv1alpha1.ReasonACKFeatureGateMissing, reason == platformv1alpha1.ReasonLostTrack, reason == platformv1alpha1.ReasonInvalidSpec, reason == ReasonCRDNotInstalled:
		return red
	}
	return yellow
}

// syncedColor colours ACK's Synced condition.
func syncedColor(s string) string {
	switch s {
	case string(metav1.ConditionTrue):
		return green
	case "-", "probe":
		return ""
	}
	return yellow
}

// cell is one table cell and its colour.
type cell struct {
	text  string
	color string
}

func plain(texts []string) []cell {
	out := make([]cell, len(texts))
	for i, s := range texts {
		out[i] = cell{text: s}
	}
	return out
}

// table aligns columns by their printed width (text/tabwriter would count
// the colour escapes and the tree's box-drawing bytes).
type table struct {
	color bool
	rows  [][]cell
}

func (tb *table) row(cells ...cell) { tb.rows = append(tb.rows, cells) }

func (tb *table) write(w io.Writer) error {
	var widths []int
	for _, r := range tb.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	var b strings.Builder
	for _, r := range tb.rows {
		var line strings.Builder
		for i, c := range r {
			text := c.text
			if tb.color && c.color != "" && text != "" {
				text = c.color + text + reset
			}
			line.WriteString(text)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
