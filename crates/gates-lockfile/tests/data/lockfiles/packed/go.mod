module github.com/0-mqix/packed

go 1.24.2

require golang.org/x/tools v0.36.0

require (
	golang.org/x/exp v0.0.0-20250819193227-8b4c13bb791b
	golang.org/x/mod v0.27.0 // indirect
	golang.org/x/sync v0.16.0 // indirect
)
