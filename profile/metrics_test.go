package profile

import (
	"testing"
)

// TestDecodeMetricsFormats: the Prometheus text format and OpenMetrics
// (family named without _total, _created samples, # UNIT, # EOF) give the
// same sites; time-like and follower runtime gauges are left out.
func TestDecodeMetricsFormats(t *testing.T) {
	t.Parallel()
	prom := "# HELP requests_total Requests.\n# TYPE requests_total counter\nrequests_total{path=\"/a\"} 10\n" +
		"# TYPE conns_open gauge\nconns_open 4\n# TYPE last_seen_timestamp_seconds gauge\nlast_seen_timestamp_seconds 1.7e9\n" +
		"# TYPE go_memstats_next_gc_bytes gauge\ngo_memstats_next_gc_bytes 4e6\n# TYPE go_goroutines gauge\ngo_goroutines 12\n" +
		"# TYPE rpc_seconds histogram\nrpc_seconds_bucket{le=\"+Inf\"} 3\nrpc_seconds_sum 1\nrpc_seconds_count 3\n"
	om := "# HELP requests Requests.\n# TYPE requests counter\n# UNIT requests requests\nrequests_total{path=\"/a\"} 10\nrequests_created{path=\"/a\"} 1.7e9\n" +
		"# TYPE conns_open gauge\nconns_open 4\n# TYPE go_goroutines gauge\ngo_goroutines 12\n# EOF\n"
	want := []SiteValue{
		{Site: Site{Function: "conns_open", File: MetricGauge}, Values: []int64{4}, StackValue: 4},
		{Site: Site{Function: "go_goroutines", File: MetricGauge}, Values: []int64{12}, StackValue: 12},
		{Site: Site{Function: `requests_total{path="/a"}`, File: MetricCounter}, Values: []int64{10}, StackValue: 10},
	}
	for name, text := range map[string]string{"prometheus": prom, "openmetrics": om} {
		s, err := decodeMetrics([]byte(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Kind != KindMetrics || len(s.Sites) != len(want) {
			t.Fatalf("%s: kind %v, sites %+v", name, s.Kind, s.Sites)
		}
		for i := range want {
			if s.Sites[i].Site != want[i].Site || s.Sites[i].Values[0] != want[i].Values[0] {
				t.Errorf("%s: site %d = %+v, want %+v", name, i, s.Sites[i], want[i])
			}
		}
	}
	if _, err := decodeMetrics([]byte("# TYPE x counter\nx{ 1\n")); err == nil {
		t.Error("malformed text accepted")
	}
}

// TestDecodeMetricsParserPanic: input that makes prometheus/common's text
// parser panic (found by FuzzMetrics, kept in testdata/fuzz) is refused
// as malformed, through Decode too.
func TestDecodeMetricsParserPanic(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"#000000000000000000000000000000000000\n{}", "# HELP x y\n{}", "# TYPE x counter\n{}"} {
		if _, err := decodeMetrics([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
		s, err := Decode([]byte(in), "metrics-20261121T090000Z.prom", &DecodeOptions{Sites: DefaultSitePolicy()})
		if err == nil && s.Kind == KindMetrics && len(s.Sites) > 0 {
			t.Errorf("%q decoded to %+v", in, s.Sites)
		}
	}
}
