# upstate — a few stable targets; longer logic lives in scripts/.
SERVICES := status incidents sla alerting statuspage notification edge gateway

.PHONY: build run test test-cluster bench proto lint clean

build:
	go build -o bin/upstate ./cmd/upstate
	go build -o bin/upstatectl ./cmd/upstatectl
	$(foreach s,$(SERVICES),go build -o bin/$(s) ./services/$(s)/cmd/$(s) &&) true

run: build
	./bin/upstate

test:
	bash scripts/test.sh

# The cluster suite alone; make test runs it with the rest.
test-cluster:
	bash scripts/test-cluster.sh

bench: build
	bash scripts/bench.sh

proto:
	bash scripts/proto.sh

lint:
	bash scripts/lint.sh

clean:
	rm -rf bin
