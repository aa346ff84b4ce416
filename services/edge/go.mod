module github.com/upstatehq/upstate/services/edge

go 1.26.0
