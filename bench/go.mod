module github.com/upstatehq/upstate/bench

go 1.26.0
