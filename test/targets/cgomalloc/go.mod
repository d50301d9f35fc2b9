module gopherscope.dev/lab/cgomalloc

go 1.22
