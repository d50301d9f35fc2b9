module gopherscope.dev/lab/service

go 1.22
