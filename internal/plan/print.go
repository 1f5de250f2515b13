package plan

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/docuflow/docuflow-operator/internal/desired"
)

// symbols mark each action, as terraform plan marks them.
var symbols = map[Action]string{Create: "+", Update: "~", Replace: "-/+", Delete: "-"}

// WriteJSON writes the plan as JSON (Version says its shape), with its
// summary and exit code.
func (p Plan) WriteJSON(w io.Writer) error {
	out := struct {
		Plan
		Summary  Counts `json:"summary"`
		ExitCode int    `json:"exitCode"`
	}{p, p.Counts(), p.ExitCode()}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteText writes the plan for people: the stack's verdict, the changes by
// family in dependency order with what each means in AWS, the unchanged
// count, the cost and the summary.
func (p Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "DocuFlowStack %s/%s, planned against %s.\n", p.Namespace, p.Name, p.Against)
	if p.Refused != "" {
		b.WriteString("The stack: REFUSED by the API server in a server-side dry run:\n")
		for _, l := range strings.Split(p.Refused, "\n") {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	} else if p.Check != "" {
		fmt.Fprintf(&b, "The stack: %s.\n", p.Check)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "%s\n", n)
	}
	if p.Refused != "" && len(p.Changes) > 0 {
		b.WriteString("\nWhat it would have meant, had the API server accepted it:\n")
	}
	family := ""
	for _, c := range p.Changes {
		if c.Family != family {
			family = c.Family
			fmt.Fprintf(&b, "\n%s\n", familyTitle(family))
		}
		writeChange(&b, c)
	}
	if len(p.Changes) == 0 {
		b.WriteString("\nNo changes.\n")
	}
	if p.Unchanged > 0 {
		fmt.Fprintf(&b, "\n%d %s unchanged.\n", p.Unchanged, plural(p.Unchanged, "child", "children"))
	}
	if p.Cost != nil {
		b.WriteString("\n")
		writeCost(&b, p.Cost)
	}
	b.WriteString("\n")
	if p.Refused != "" {
		fmt.Fprintf(&b, "Refused: the stack cannot be applied. Had it been accepted: %s\n", strings.TrimPrefix(p.Summary(), "Plan: "))
	} else {
		fmt.Fprintf(&b, "%s\n", p.Summary())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// familyTitle is a family's heading: its name and condition.
func familyTitle(f string) string {
	if f == "" {
		return "(no family)"
	}
	if c := desired.FamilyConditions[f]; c != "" {
		return f + " (" + c + ")"
	}
	return f
}

func writeChange(b *strings.Builder, c Change) {
	fmt.Fprintf(b, "%5s %-7s %s %s\n", symbols[c.Action], c.Action, c.Kind, c.Name)
	const in = "        "
	for _, m := range c.Means {
		fmt.Fprintf(b, "%s%s\n", in, m)
	}
	if c.WaitsFor != "" {
		fmt.Fprintf(b, "%s%s\n", in, waitsPhrase(c.WaitsFor))
	}
	if c.Refused != "" {
		fmt.Fprintf(b, "%sthe API server: %s\n", in, c.Refused)
	}
	if c.Error != "" {
		fmt.Fprintf(b, "%sREFUSED by the API server: %s\n", in, c.Error)
	}
	if c.DeletesData {
		fmt.Fprintf(b, "%sDATA: deleted with this change\n", in)
	}
	last := ""
	for _, f := range c.Fields {
		fmt.Fprintf(b, "%s%s\n", in, fieldLine(f))
		if f.Means != "" && f.Means != last {
			fmt.Fprintf(b, "%s  %s\n", in, f.Means)
		}
		last = f.Means
	}
}

// waitsPhrase says what a create waits for: the children the operator
// waits to be synced ("VPC x to be created"), or values only AWS reports
// ("VPC x ID").
func waitsPhrase(w string) string {
	if strings.Contains(w, " to be ") {
		return "waits for " + w
	}
	return "waits for AWS to report " + w
}

// fieldLine prints one field change: "path: old → new", or an element of a
// list that goes or comes.
func fieldLine(f FieldChange) string {
	if p, ok := strings.CutSuffix(f.Path, "[-]"); ok {
		return p + " loses " + f.Old
	}
	if p, ok := strings.CutSuffix(f.Path, "[+]"); ok {
		return p + " gains " + f.New
	}
	old, new := f.Old, f.New
	if f.AbsentOld {
		old = "(none)"
	}
	if f.AbsentNew {
		new = "(none)"
	}
	return f.Path + ": " + old + " → " + new
}

func writeCost(b *strings.Builder, d *CostDelta) {
	if d.Error != "" {
		fmt.Fprintf(b, "Monthly cost: not estimated: %s\n", d.Error)
		return
	}
	fmt.Fprintf(b, "Monthly cost: %s → %s (%s)\n", usd(d.BeforeUSD), usd(d.AfterUSD), signed(d.AfterUSD-d.BeforeUSD))
	for _, f := range d.Families {
		fmt.Fprintf(b, "  %s: %s → %s (%s)\n", f.Family, usd(f.BeforeUSD), usd(f.AfterUSD), signed(f.AfterUSD-f.BeforeUSD))
	}
	// The prices' sources are long (render --cost and -o json carry them);
	// the plan names the table and its date.
	if d.PricesAsOf != "" {
		fmt.Fprintf(b, "  (%s prices as of %s, from the table in internal/cost/prices.yaml; its sources: docuflow-dev render --cost)\n", cmp.Or(d.Region, "the region's"), d.PricesAsOf)
	}
}

// usd prints dollars with cents and thousands separators: $1,234.56.
func usd(v float64) string {
	c := cents(v)
	neg := c < 0
	if neg {
		c = -c
	}
	whole := strconv.FormatInt(c/100, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	s := fmt.Sprintf("$%s.%02d", whole, c%100)
	if neg {
		s = "-" + s
	}
	return s
}

// signed prints a difference of dollars with its sign.
func signed(v float64) string {
	switch c := cents(v); {
	case c > 0:
		return "+" + usd(v)
	case c < 0:
		return usd(v)
	}
	return "no change"
}
