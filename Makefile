# make [build] | make install [PREFIX=/usr/local] [DESTDIR=...] | make uninstall | make test
# The work is done by cargo and scripts/install.sh (see its header for the layout).
PREFIX ?= /usr/local

.PHONY: build install uninstall test
build:
	cargo build --release --locked -p sandbox-preload -p sandbox-cli

install: build
	DESTDIR="$(DESTDIR)" scripts/install.sh --from target/release "$(PREFIX)"

uninstall:
	DESTDIR="$(DESTDIR)" scripts/install.sh --uninstall "$(PREFIX)"

test:
	bash scripts/test.sh
