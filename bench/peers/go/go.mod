module peregrine-bench/go

go 1.19
