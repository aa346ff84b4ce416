module github.com/upstatehq/upstate/services/gateway

go 1.26.0
