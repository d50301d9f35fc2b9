module gopherscope.dev/lab/oddname

go 1.22
