package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	// nameRE is what pool and upstream names must match.
	nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	// daysRE catches durations written in days or weeks, which Go lacks.
	daysRE = regexp.MustCompile(`^([0-9]{1,6})([dw])$`)
	// numberRE catches durations written without a unit.
	numberRE = regexp.MustCompile(`^[0-9]+(\.[0-9]*)?$`)
	// percentRE is a reserve value: digits, optional decimals, a percent sign.
	percentRE = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?%$`)
)

// str returns the value of a string scalar, which must not be empty.
func (d *decoder) str(e entry) (string, bool) {
	v := resolve(e.val)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		d.addf(e.val, e.path, "must not be empty")
		return "", false
	}
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		d.addf(e.val, e.path, "must be a string, got %s", describe(v))
		return "", false
	}
	if strings.TrimSpace(v.Value) == "" {
		d.addf(e.val, e.path, "must not be empty")
		return "", false
	}
	return v.Value, true
}

// duration returns the value of a positive Go duration such as 1h.
func (d *decoder) duration(e entry) (time.Duration, bool) {
	v := resolve(e.val)
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" || v.ShortTag() == "!!bool" {
		d.addf(e.val, e.path, "must be a duration such as 30s, 1m, 1h or 24h, got %s", describe(v))
		return 0, false
	}
	dur, err := time.ParseDuration(v.Value)
	if err != nil {
		d.addf(e.val, e.path, "bad duration %q: %s", v.Value, durationHint(v.Value))
		return 0, false
	}
	if dur <= 0 {
		d.addf(e.val, e.path, "must be positive, got %s", v.Value)
		return 0, false
	}
	return dur, true
}

// durationHint says how to write s, which time.ParseDuration rejected.
func durationHint(s string) string {
	if m := daysRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		hours := n * 24
		if m[2] == "w" {
			hours *= 7
		}
		return fmt.Sprintf("Go durations have no %q unit: use e.g. %dh", m[2], hours)
	}
	if numberRE.MatchString(s) {
		return fmt.Sprintf("a duration needs a unit: use e.g. %ss", s)
	}
	return "use a Go duration such as 30s, 1m, 1h or 24h"
}

// percentage returns a reserve such as 12.5% in basis points (1250). It
// must be at least 0% and below 100%, with at most two decimals.
func (d *decoder) percentage(e entry) (int64, bool) {
	v := resolve(e.val)
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		d.addf(e.val, e.path, "must be a percentage such as 10%% or 12.5%%, got %s", describe(v))
		return 0, false
	}
	m := percentRE.FindStringSubmatch(v.Value)
	if m == nil {
		d.addf(e.val, e.path, "bad percentage %q: use a percentage such as 10%% or 12.5%%", v.Value)
		return 0, false
	}
	if len(m[2]) > 2 {
		d.addf(e.val, e.path, "bad percentage %q: use at most two decimals, such as 12.5%% or 12.25%%", v.Value)
		return 0, false
	}
	whole, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || whole >= 100 {
		d.addf(e.val, e.path, "%s must be below 100%%: holding back the whole limit would shut the priority out", v.Value)
		return 0, false
	}
	frac, _ := strconv.ParseInt((m[2] + "00")[:2], 10, 64)
	return whole*100 + frac, true
}

// formatBasisPoints writes basis points as a percentage: 1250 as 12.5%.
func formatBasisPoints(bp int64) string {
	s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%d.%02d", bp/100, bp%100), "0"), ".")
	return s + "%"
}

// formatDuration writes d as a person would in a policy file: 1h, not 1h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
