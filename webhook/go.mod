module github.com/upstatehq/upstate/webhook

go 1.26.0
