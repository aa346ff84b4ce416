module github.com/upstatehq/upstate/cmd/upstate

go 1.26.0
