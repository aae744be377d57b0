// Package diff turns aligned series into statements about growth.
//
// It sits second in leakdiff's pipeline:
//
//  1. profile reads snapshots and aligns them into per-site series;
//  2. diff (this package) measures each site's growth over its series;
//  3. rules names known leaks;
//  4. report ranks and renders.
//
// For now it ranks sites by plain growth between the first and the last
// snapshot of a series' final segment (the snapshots after the last
// restart). Trend fitting builds on the same Series.
package diff
