module gopherscope.dev/test/oracle/dwarf

go 1.22
