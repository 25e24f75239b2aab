# signet: the README's commands. `make demo` and `make test` work on a fresh checkout.
NPM ?= npm

.PHONY: all deps build demo test test-deps typecheck lint unit integration bench docs clean

all: build

node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

build: deps
	$(NPM) run --silent build

# Sign an image in a local OCI layout, verify it, then show a tampered image rejected.
demo: build
	node scripts/demo.mjs

# Type-check, lint, and run every test (unit and integration: a real registry, cosign, skopeo, gpg, redis…).
# test-deps comes first: it installs the test peers (as root on Debian) or stops at once saying how. The tests
# start every service themselves, on loopback.
test: test-deps build
	$(NPM) run --silent lint
	node scripts/check-layers.mjs
	SIGNET_TEST_COSIGN="$$(scripts/install-test-deps.sh --check)" node scripts/run-tests.mjs

test-deps:
	scripts/install-test-deps.sh >/dev/null

unit: build
	node scripts/run-tests.mjs unit

integration: test-deps build
	SIGNET_TEST_COSIGN="$$(scripts/install-test-deps.sh --check)" node scripts/run-tests.mjs integration

bench: build
	$(NPM) run --silent bench

docs: build
	node scripts/gen-errors-doc.mjs > docs/errors.md

clean:
	rm -rf dist .demo
