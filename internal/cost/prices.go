package cost

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/yaml"
)

// pricesYAML is the price table: per region, on-demand prices in US dollars,
// the date they were taken and where they come from.
//
//go:embed prices.yaml
var pricesYAML []byte

// The keys of a region's prices (prices.yaml describes each).
const (
	keyFargateVCPUHour         = "fargateVCPUHour"
	keyFargateGBHour           = "fargateGBHour"
	keyNATGatewayHour          = "natGatewayHour"
	keyPublicIPv4Hour          = "publicIPv4Hour"
	keyInterfaceEndpointAZHour = "interfaceEndpointAZHour"
	keyALBHour                 = "albHour"
	keyALBLCUHour              = "albLCUHour"
	keyRDSGP3GBMonth           = "rdsGP3GBMonth"
	keyLogsIngestionGB         = "logsIngestionGB"
	keyAlarmMonth              = "alarmMonth"
	keySecretMonth             = "secretMonth"
)

// priceKeys are the keys every region's prices must carry.
var priceKeys = []string{
	keyFargateVCPUHour, keyFargateGBHour, keyNATGatewayHour, keyPublicIPv4Hour,
	keyInterfaceEndpointAZHour, keyALBHour, keyALBLCUHour, keyRDSGP3GBMonth,
	keyLogsIngestionGB, keyAlarmMonth, keySecretMonth,
}

// regionPrices is one region of the price table.
type regionPrices struct {
	// AsOf is the date the prices were taken, YYYY-MM-DD.
	AsOf string `json:"asOf"`
	// Source says where the prices come from, in words.
	Source string `json:"source"`
	// URLs are the pages the prices come from.
	URLs []string `json:"urls"`
	// Prices are the region's prices by key (priceKeys).
	Prices map[string]float64 `json:"prices"`
	// RDSInstanceHour is the price of an RDS for PostgreSQL instance-hour,
	// Single-AZ, by instance class.
	RDSInstanceHour map[string]float64 `json:"rdsInstanceHour"`
}

// priceTable is prices.yaml.
type priceTable struct {
	// Regions are the priced regions by name.
	Regions map[string]regionPrices `json:"regions"`
}

// regionNames are the table's regions, sorted.
func (t priceTable) regionNames() []string {
	return slices.Sorted(maps.Keys(t.Regions))
}

// loadTable parses the embedded table once.
var loadTable = sync.OnceValues(func() (priceTable, error) { return parseTable(pricesYAML) })

// parseTable reads a price table and checks that every region has a date, a
// source, every price key with a positive price (and no other key), and the
// same instance classes as every other region, so that an estimate never
// prices an item at zero because its price is missing.
func parseTable(data []byte) (priceTable, error) {
	var t priceTable
	if err := yaml.UnmarshalStrict(data, &t); err != nil {
		return priceTable{}, fmt.Errorf("reading the price table: %w", err)
	}
	if len(t.Regions) == 0 {
		return priceTable{}, fmt.Errorf("the price table has no regions")
	}
	var classes []string
	var classesFrom string
	for _, name := range t.regionNames() {
		r := t.Regions[name]
		if _, err := time.Parse(time.DateOnly, r.AsOf); err != nil {
			return priceTable{}, fmt.Errorf("the price table's %s: asOf %q is not a date YYYY-MM-DD", name, r.AsOf)
		}
		if strings.TrimSpace(r.Source) == "" {
			return priceTable{}, fmt.Errorf("the price table's %s has no source", name)
		}
		if len(r.URLs) == 0 {
			return priceTable{}, fmt.Errorf("the price table's %s has no urls", name)
		}
		for _, u := range r.URLs {
			if !strings.HasPrefix(u, "https://") {
				return priceTable{}, fmt.Errorf("the price table's %s: url %q is not an https URL", name, u)
			}
		}
		for _, k := range priceKeys {
			if v, ok := r.Prices[k]; !ok || v <= 0 {
				return priceTable{}, fmt.Errorf("the price table's %s has no positive price %s", name, k)
			}
		}
		for k := range r.Prices {
			if !slices.Contains(priceKeys, k) {
				return priceTable{}, fmt.Errorf("the price table's %s has a price %s no estimate uses", name, k)
			}
		}
		if len(r.RDSInstanceHour) == 0 {
			return priceTable{}, fmt.Errorf("the price table's %s has no RDS instance classes", name)
		}
		for class, v := range r.RDSInstanceHour {
			if v <= 0 {
				return priceTable{}, fmt.Errorf("the price table's %s: RDS instance class %s has no positive price", name, class)
			}
		}
		have := slices.Sorted(maps.Keys(r.RDSInstanceHour))
		if classes == nil {
			classes, classesFrom = have, name
		} else if !slices.Equal(classes, have) {
			return priceTable{}, fmt.Errorf("the price table's %s prices the RDS instance classes %s, %s prices %s",
				name, strings.Join(have, ", "), classesFrom, strings.Join(classes, ", "))
		}
	}
	return t, nil
}
