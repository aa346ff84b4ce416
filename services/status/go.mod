module github.com/upstatehq/upstate/services/status

go 1.26.0
