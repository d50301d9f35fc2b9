module gopherscope.dev/lab/inprocess

go 1.22
