module example.com/x

go 1.21

require (
	github.com/a/b v1.2.3
	golang.org/x/text v0.3.7 // indirect
)

replace github.com/a/b => github.com/fork/b v1.2.4
