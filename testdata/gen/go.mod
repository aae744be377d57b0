module github.com/leakdiff/leakdiff/testdata/gen

go 1.26
