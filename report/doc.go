// Package report ranks what the analysis found and renders it for people
// and programs.
//
// It is last in leakdiff's pipeline (profile → diff → rules → report) and the
// only package that imports tablewriter. Renderers take everything they show
// as values, including times, so output is a pure function of the inputs.
package report
