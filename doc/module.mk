# The documentation that make install installs: the man pages of doc/man in
# PREFIX/share/man/manN (N from the file name), README.md and the pages of doc/ in
# PREFIX/share/doc/beekeeper. Examples are not installed: their sources build only in this
# tree; doc/tutorial.md is the guide to a service of one's own.
MAN_PAGES := $(sort $(wildcard doc/man/*.[1-8]))
DOCS := README.md $(sort $(wildcard doc/*.md))
# make check lints the man pages (and holds them to the programs' --help), and runs the
# tutorial's commands against a make install (a system test: they start bkpr-broker).
UNIT_TESTS += tests/manpages.sh
# every program answers -h, --help, --version and an unknown option alike (core/cli.h)
UNIT_TESTS += tests/cli.sh
SYSTEM_TESTS += tests/systest_tutorial.sh
