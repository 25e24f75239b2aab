# signet: the README's commands. `make demo` and `make test` work on a fresh checkout.
NPM ?= npm

.PHONY: all deps build demo test typecheck lint unit integration bench docs clean

all: build

node_modules/.package-lock.json: package.json package-lock.json
	RE2_DOWNLOAD_SKIP_PATH=1 $(NPM) ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

build: deps
	$(NPM) run --silent build

# Sign an image in a local OCI layout, verify it, then show a tampered image rejected.
demo: build
	node scripts/demo.mjs

# Type-check, lint, and run every test (unit and integration: a real registry, cosign, skopeo).
test: build
	$(NPM) run --silent lint
	node scripts/check-layers.mjs
	node scripts/run-tests.mjs

unit: build
	node scripts/run-tests.mjs unit

integration: build
	node scripts/run-tests.mjs integration

bench: build
	$(NPM) run --silent bench

docs: build
	node scripts/gen-errors-doc.mjs > docs/errors.md

clean:
	rm -rf dist .demo
