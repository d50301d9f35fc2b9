module gopherscope.dev/bench/goroutines

go 1.24

require (
	github.com/DataDog/gostackparse v0.7.0
	github.com/maruel/panicparse/v2 v2.5.0
)
