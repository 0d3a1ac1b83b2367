# PyHost: `make demo` serves the bundled demo on http://127.0.0.1:8000, `make test` runs every test,
# `make build` leaves the native executable at artifacts/pyhost. Each installs what it needs first.
#   make build-jit   a framework-dependent single file (needs the .NET runtime) at artifacts/jit/pyhost;
#                    READY_TO_RUN=true precompiles it (JIT_OUTPUT=artifacts/jit-r2r keeps both)
#   make dist        the wheel in dist/ (pip install puts pyhost on PATH)
#   make deb         the Debian package in dist/
DOTNET ?= dotnet
CONFIGURATION ?= Release
RID ?= linux-x64
ARTIFACTS := artifacts
JIT_OUTPUT ?= $(ARTIFACTS)/jit
READY_TO_RUN ?= false
DIST := dist

.PHONY: build build-deps build-jit dist deb demo test deps test-deps clean bench-quick compat-report dashboard-screenshot

# NativeAOT (PublishAot in src/PyHost.Cli): one self-contained executable that needs only glibc.
build: build-deps
	$(DOTNET) publish src/PyHost.Cli/PyHost.Cli.csproj -c $(CONFIGURATION) -r $(RID) \
		-o $(ARTIFACTS)/publish --nologo -v quiet
	$(call install_binary,$(ARTIFACTS)/publish/pyhost,$(ARTIFACTS)/pyhost)

build-jit:
	$(DOTNET) publish src/PyHost.Cli/PyHost.Cli.csproj -c $(CONFIGURATION) -r $(RID) -p:PublishAot=false \
		--self-contained false -p:PublishSingleFile=true -p:PublishReadyToRun=$(READY_TO_RUN) -p:DebugType=none \
		-o $(JIT_OUTPUT)/publish --nologo -v quiet
	$(call install_binary,$(JIT_OUTPUT)/publish/pyhost,$(JIT_OUTPUT)/pyhost)

# Rename, not copy over: a running pyhost keeps its old binary ("text file busy" otherwise).
define install_binary
	cp $(1) $(2).new && mv -f $(2).new $(2)
	@echo "built $(2)"
endef

build-deps:
	./scripts/install-deps.sh build

dist: build
	/usr/bin/python3 packaging/wheel.py $(ARTIFACTS)/pyhost $(DIST)

deb: build
	packaging/deb.sh $(ARTIFACTS)/pyhost $(DIST)

deps:
	./scripts/install-deps.sh runtime

test-deps:
	./scripts/install-deps.sh test

demo: deps build
	$(ARTIFACTS)/pyhost serve --python /usr/bin/python3 -b 127.0.0.1:8000

test: test-deps build
	./scripts/run-tests.sh

# Refreshes the committed docs/compatibility.md from a full framework test run; `make test` never writes it (its
# report goes to artifacts/compatibility.md). The document is rewritten only when every check ran and passed.
compat-report: test-deps build
	rm -f $(ARTIFACTS)/compatibility-not-refreshed.txt
	PYHOST_REFRESH_COMPATIBILITY_DOC=1 $(DOTNET) test test/PyHost.FrameworkTests -c $(CONFIGURATION) --nologo -v quiet; \
		status=$$?; \
		if [ -f $(ARTIFACTS)/compatibility-not-refreshed.txt ]; then cat $(ARTIFACTS)/compatibility-not-refreshed.txt; exit 1; fi; \
		exit $$status

bench-quick: test-deps build
	./bench/quick.sh

# Only the projects' own bin/ and obj/ (next to a .csproj), never a virtualenv's bin/.
clean:
	rm -rf $(ARTIFACTS) $(DIST)
	find src test -name '*.csproj' -execdir rm -rf bin obj \;

# The README's picture of the dashboard: taken by the dashboard test (artifacts/dashboard/), copied into docs/ only here,
# so a normal test run changes no tracked file.
dashboard-screenshot: build
	$(DOTNET) test test/PyHost.AdminTests -c $(CONFIGURATION) --nologo -v quiet --filter "FullyQualifiedName~DashboardTests"
	cp $(ARTIFACTS)/dashboard/dashboard.png docs/dashboard.png
