package plan

import (
	"slices"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/cost"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// Pricer prices a stack by the month: cost.Of.
type Pricer func(*platformv1alpha1.DocuFlowStack) (cost.Estimate, error)

// CostDelta is the monthly cost of the stack before and after the change,
// in US dollars.
type CostDelta struct {
	BeforeUSD float64 `json:"beforeUSD"`
	AfterUSD  float64 `json:"afterUSD"`
	// Families are the families whose cost changes, in dependency order.
	Families []FamilyDelta `json:"families,omitempty"`
	// Source, PricesAsOf and Region say which prices were used.
	Source     string `json:"source,omitempty"`
	PricesAsOf string `json:"pricesAsOf,omitempty"`
	Region     string `json:"region,omitempty"`
	// Error says why there is no estimate.
	Error string `json:"error,omitempty"`
}

// FamilyDelta is one family's monthly cost before and after.
type FamilyDelta struct {
	Family    string  `json:"family"`
	BeforeUSD float64 `json:"beforeUSD"`
	AfterUSD  float64 `json:"afterUSD"`
}

// costDelta prices the stack before (nil: it does not exist) and after.
func costDelta(price Pricer, before, after *platformv1alpha1.DocuFlowStack) *CostDelta {
	if price == nil {
		return nil
	}
	var was cost.Estimate
	if before != nil {
		var err error
		if was, err = price(before); err != nil {
			return &CostDelta{Error: err.Error()}
		}
	}
	now, err := price(after)
	if err != nil {
		return &CostDelta{Error: err.Error()}
	}
	d := &CostDelta{BeforeUSD: was.TotalUSD, AfterUSD: now.TotalUSD, Source: now.Source, PricesAsOf: now.PricesAsOf, Region: now.Region}
	families := map[string]*FamilyDelta{}
	var names []string
	get := func(f string) *FamilyDelta {
		if families[f] == nil {
			families[f] = &FamilyDelta{Family: f}
			names = append(names, f)
		}
		return families[f]
	}
	for _, f := range was.Families {
		get(f.Family).BeforeUSD += f.MonthlyUSD
	}
	for _, f := range now.Families {
		get(f.Family).AfterUSD += f.MonthlyUSD
	}
	rank := func(f string) int {
		if i := slices.Index(desired.Families, f); i >= 0 {
			return i
		}
		return len(desired.Families)
	}
	slices.SortStableFunc(names, func(a, b string) int { return rank(a) - rank(b) })
	for _, f := range names {
		if fd := families[f]; cents(fd.BeforeUSD) != cents(fd.AfterUSD) {
			d.Families = append(d.Families, *fd)
		}
	}
	return d
}

// cents rounds dollars to whole cents, so that a difference below a cent
// is none.
func cents(usd float64) int64 {
	if usd < 0 {
		return -int64(-usd*100 + 0.5)
	}
	return int64(usd*100 + 0.5)
}
