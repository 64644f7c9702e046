# videocall-cpp: the two commands are `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
SERVER := build/dev/src/server/videocall-server
CLI := build/dev/src/tools/videocall-cli
FUZZ_SECONDS ?= 20
export CCACHE_DIR ?= $(HOME)/.cache/ccache
export CCACHE_MAXSIZE ?= 5G
# Relative paths in the cache key, so a fresh clone anywhere reuses earlier builds.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: run test deps web build build-asan build-fuzz test-unit test-asan test-fuzz test-e2e test-deploy \
        install format clean

run: deps web build
	@echo "videocall-server: open http://localhost:8080/meeting/demo"
	$(SERVER) --web-root web/dist

test: deps web build build-asan build-fuzz
	$(MAKE) test-unit
	$(MAKE) test-asan
	$(MAKE) test-fuzz
	$(MAKE) test-e2e
	$(MAKE) test-deploy
	@echo "make test: all suites passed"

deps:
	@scripts/deps.sh

# npm ci only when the lock file changed since the last install. Browsers come from Debian, never npm.
web/node_modules/.installed: web/package-lock.json
	cd web && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

web: web/node_modules/.installed
	cd web && npm run build

build:
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

build-asan:
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

build-fuzz:
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS) --target vc_fuzz_all

test-unit:
	ctest --test-dir build/dev --output-on-failure -j $(JOBS)
	cd web && npm test

test-asan:
	ctest --test-dir build/asan --output-on-failure -j $(JOBS)

test-fuzz:
	scripts/run-fuzzers.sh build/fuzz $(FUZZ_SECONDS)

test-e2e:
	cd web && VC_SERVER_BIN=$(CURDIR)/$(SERVER) VC_CLI_BIN=$(CURDIR)/$(CLI) npm run e2e

# Image, compose stack, Helm chart, systemd unit (docs/DEPLOYMENT.md "Tests"). Uses what `build`
# and `web` made; parts this machine cannot run are skipped with a loud message.
test-deploy:
	scripts/deploy/test-deploy.sh

# Server, tools, web app, config and systemd unit under PREFIX (/usr/local); after build and web.
install:
	scripts/install.sh

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build web/dist
