# PyHost: `make demo` serves the bundled demo on http://127.0.0.1:8000, `make test` runs every test,
# `make build` leaves the executable at artifacts/pyhost. Each installs what it needs first.
DOTNET ?= dotnet
CONFIGURATION ?= Release
RID ?= linux-x64
ARTIFACTS := artifacts

.PHONY: build demo test deps test-deps clean bench-quick dashboard-screenshot

build:
	$(DOTNET) publish src/PyHost.Cli/PyHost.Cli.csproj -c $(CONFIGURATION) -r $(RID) --self-contained false \
		-p:PublishSingleFile=true -p:DebugType=none -o $(ARTIFACTS)/publish --nologo -v quiet
	# Rename, not copy over: a running pyhost keeps its old binary ("text file busy" otherwise).
	cp $(ARTIFACTS)/publish/pyhost $(ARTIFACTS)/pyhost.new && mv -f $(ARTIFACTS)/pyhost.new $(ARTIFACTS)/pyhost
	@echo "built $(ARTIFACTS)/pyhost"

deps:
	./scripts/install-deps.sh runtime

test-deps:
	./scripts/install-deps.sh test

demo: deps build
	$(ARTIFACTS)/pyhost serve --python /usr/bin/python3 -b 127.0.0.1:8000

test: test-deps build
	./scripts/run-tests.sh

bench-quick: test-deps build
	./bench/quick.sh

clean:
	rm -rf $(ARTIFACTS)
	find . -name bin -o -name obj | xargs rm -rf

# The README's picture of the dashboard: taken by the dashboard test (artifacts/dashboard/), copied into docs/ only here,
# so a normal test run changes no tracked file.
dashboard-screenshot: build
	$(DOTNET) test test/PyHost.AdminTests -c $(CONFIGURATION) --nologo -v quiet --filter "FullyQualifiedName~DashboardTests"
	cp $(ARTIFACTS)/dashboard/dashboard.png docs/dashboard.png
