// Package fleet is leakdiff's fleet mode on Apache Beam: one pipeline reads
// the snapshot series of many processes (sources) of many services, analyses
// every source exactly as leakdiff analyze does, and summarises the leaks
// that recur across each service.
//
// The pipeline is small named stages over beam.Scope, each testable alone:
//
//  1. Read: fileio.MatchFiles for each input pattern (local paths, gs://,
//     s3://, whatever Beam's filesystems read), fileio.ReadMatches with
//     compression left to leakdiff's own decoder (it refuses decompression
//     bombs);
//  2. Decode (a ParDo, the work that dominates, spread over workers): each
//     file becomes its reduced snapshot (profile.ReadFile), keyed by its
//     source (profile.SourceKey) and carried in profile's compact, versioned
//     encoding, never as a profile; a file that cannot be read goes to a side
//     output with its reason;
//  3. GroupByKey: a source's snapshots together;
//  4. Analyse (a ParDo per source): profile.AssignSources names the source
//     as leakdiff analyze would on those files, report.New aligns, fits and
//     matches rules, and the source's report is written as JSON
//     (leakdiff.report/v1, the same bytes leakdiff analyze --format json
//     prints for those files, but for its generated time); a brief of its
//     findings goes on;
//  5. Summarise (one worker, side inputs): per service, each site and rule
//     with the number of its sources it leaks in, their total rate, the
//     worst instances and the outliers (a site or a total growing in a
//     minority of the service's sources), and every skipped file; written
//     as JSON (leakdiff.fleet/v1, type Summary) and Markdown.
//
// A service is a folder level of a source's path (path:N, the N-th folder
// above the files; path:1, the default, is the folder that holds the
// source's folder) or a profile label (label:KEY).
package fleet
