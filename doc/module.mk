# The documentation that make install installs: the man pages of doc/man in
# PREFIX/share/man/manN (N from the file name), README.md and the pages of doc/ in
# PREFIX/share/doc/beekeeper. Examples are not installed: their sources build only in this
# tree.
MAN_PAGES := $(sort $(wildcard doc/man/*.[1-8]))
DOCS := README.md $(sort $(wildcard doc/*.md))
# make check lints the man pages, and holds them to the programs' --help.
UNIT_TESTS += tests/manpages.sh
