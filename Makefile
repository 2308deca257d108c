# Top-level entry points; meson and ninja do the work underneath.
#   make          build every program into ./bin/
#   make check    build and run the whole suite (unit under ASan/UBSan,
#                 fuzzers for a bounded time, integration against real peers)
#   make install  install the programs under $(PREFIX)
PREFIX ?= /usr/local
BUILD ?= build
PROGRAMS = berth-runtime berthd berth berth-monitor berth-init

.PHONY: all check install clean unit integration fuzz format

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	@mkdir -p bin
	@for p in $(PROGRAMS); do install -s -m 0755 $(BUILD)/src/cmd/$$p/$$p bin/$$p; done

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

check: all
	tests/run-all.sh

install: all
	meson install -C $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan build-fuzz bin
