// Package rules names known leaks: a catalog of patterns, as data, matched
// against findings.
//
// It is third in leakdiff's pipeline (profile → diff → rules → report). A
// finding says where memory or goroutines grow; a matched rule says what
// that usually is and how it is fixed. Rules explain, statistics detect: a
// finding no rule matches is still reported.
//
// The built-in catalog (builtin.yaml, embedded) and user files given with
// --rules share one YAML schema (Catalog, Rule, Matcher). Load parses and
// lints a file: every problem comes back with its file, line and rule id.
// Match picks, for one finding, the most specific rule whose matchers hold,
// with the evidence that matched.
package rules
