package cost

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// TestEveryRegionHasADateASourceAndEveryPrice reads prices.yaml as plain data
// (not through the loader it checks) and requires, for every region, a date,
// a source that says where the prices come from, https URLs, every price key
// with a positive number, and the instance classes of every other region.
func TestEveryRegionHasADateASourceAndEveryPrice(t *testing.T) {
	data, err := os.ReadFile("prices.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Regions map[string]map[string]any `json:"regions"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1"} {
		if _, ok := file.Regions[want]; !ok {
			t.Errorf("no prices for %s", want)
		}
	}
	var classes []string
	for _, name := range slices.Sorted(maps.Keys(file.Regions)) {
		r := file.Regions[name]
		asOf, _ := r["asOf"].(string)
		if _, err := time.Parse(time.DateOnly, asOf); err != nil {
			t.Errorf("%s: asOf %q is not a date", name, asOf)
		}
		source, _ := r["source"].(string)
		if !strings.Contains(source, "not fetched live") {
			t.Errorf("%s: the source does not say the prices were not fetched live: %q", name, source)
		}
		urls, _ := r["urls"].([]any)
		if len(urls) == 0 {
			t.Errorf("%s: no urls", name)
		}
		for _, u := range urls {
			if s, _ := u.(string); !strings.HasPrefix(s, "https://") {
				t.Errorf("%s: url %v is not https", name, u)
			}
		}
		prices, _ := r["prices"].(map[string]any)
		for _, k := range priceKeys {
			if v, ok := prices[k].(float64); !ok || v <= 0 {
				t.Errorf("%s: price %s is %v", name, k, prices[k])
			}
		}
		if len(prices) != len(priceKeys) {
			t.Errorf("%s has %d prices, the estimate uses %d: %v", name, len(prices), len(priceKeys), slices.Sorted(maps.Keys(prices)))
		}
		instances, _ := r["rdsInstanceHour"].(map[string]any)
		have := slices.Sorted(maps.Keys(instances))
		for _, must := range []string{"db.t4g.micro", "db.t4g.medium", "db.t3.micro", "db.m7g.large", "db.r6g.large"} {
			if !slices.Contains(have, must) {
				t.Errorf("%s has no price for %s", name, must)
			}
		}
		for c, v := range instances {
			if f, ok := v.(float64); !ok || f <= 0 {
				t.Errorf("%s: %s costs %v", name, c, v)
			}
		}
		if classes == nil {
			classes = have
		} else if !slices.Equal(classes, have) {
			t.Errorf("%s prices the classes %v, another region %v", name, have, classes)
		}
	}
	if _, err := loadTable(); err != nil {
		t.Errorf("the embedded table does not load: %v", err)
	}
}

// TestATableWithAGapIsRefused feeds the loader the shipped table with one
// thing missing or wrong: an estimate must never price an item at zero or
// without saying where its price comes from.
func TestATableWithAGapIsRefused(t *testing.T) {
	valid, err := os.ReadFile("prices.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(r *regionPrices)
		says   string
	}{
		{"a missing price", func(r *regionPrices) { delete(r.Prices, keyALBLCUHour) }, keyALBLCUHour},
		{"a price of zero", func(r *regionPrices) { r.Prices[keyNATGatewayHour] = 0 }, keyNATGatewayHour},
		{"a price nothing uses", func(r *regionPrices) { r.Prices["kmsKeyMonth"] = 1 }, "kmsKeyMonth"},
		{"a date that is not one", func(r *regionPrices) { r.AsOf = "December 2026" }, "asOf"},
		{"no source", func(r *regionPrices) { r.Source = " " }, "no source"},
		{"no urls", func(r *regionPrices) { r.URLs = nil }, "no urls"},
		{"an instance class one region lacks", func(r *regionPrices) { delete(r.RDSInstanceHour, "db.r7g.2xlarge") }, "db.r7g.2xlarge"},
		{"an instance class at zero", func(r *regionPrices) { r.RDSInstanceHour["db.t4g.micro"] = 0 }, "db.t4g.micro"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := parseTable(valid)
			if err != nil {
				t.Fatalf("the shipped table is refused: %v", err)
			}
			r := table.Regions["eu-central-1"]
			tt.change(&r)
			table.Regions["eu-central-1"] = r
			broken, err := yaml.Marshal(table)
			if err != nil {
				t.Fatal(err)
			}
			_, err = parseTable(broken)
			if err == nil {
				t.Fatal("the loader accepted the table")
			}
			if !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "eu-central-1") {
				t.Errorf("the error does not name %s in eu-central-1: %v", tt.says, err)
			}
		})
	}
}
