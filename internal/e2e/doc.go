// Package e2e runs leakdiff over the scenario fixtures in testdata/fixtures
// and checks each scenario's expectations (NAME.expect.json): every leak ranked
// first in its series, every control quiet. It holds tests only.
package e2e
