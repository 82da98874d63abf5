#!/bin/sh
# The last step of make install and make uninstall: how a program linked with -lbeekeeper
# finds libbeekeeper.so.0 when it starts.
# Usage: ldconfig.sh install|uninstall PREFIX DESTDIR
#
# Where the dynamic loader already looks in PREFIX/lib (/usr/lib, or a folder of
# /etc/ld.so.conf such as /usr/local/lib on Debian), root refreshes the loader's cache
# (ldconfig), without which even /usr/local/lib is not searched for a new library. Anywhere
# else nothing can be refreshed: install says what a program needs instead. A staged install
# (DESTDIR set) does neither: the package built from it runs ldconfig where it is installed.
set -eu
verb=$1 prefix=$2 destdir=${3:-}
[ -z "$destdir" ] || exit 0
libdir=$prefix/lib

searched=
case $libdir in
  /lib | /usr/lib) searched=1 ;;
  *) for f in /etc/ld.so.conf /etc/ld.so.conf.d/*.conf; do
       if [ -f "$f" ] && grep -qx "[[:space:]]*$libdir/\{0,1\}[[:space:]]*" "$f"; then
         searched=1
       fi
     done ;;
esac

if [ -n "$searched" ]; then
  if [ "$(id -u)" = 0 ]; then
    ldconfig
  elif [ "$verb" = install ]; then
    echo "Run ldconfig as root, so that programs find $libdir/libbeekeeper.so.0."
  fi
  exit 0
fi
[ "$verb" = install ] || exit 0
cat <<EOF

Installed in $prefix, where the dynamic loader does not look: a program linked with
-lbeekeeper stops with "libbeekeeper.so.0: cannot open shared object file" unless it is
linked with -Wl,-rpath,$libdir (pkg-config --variable=libdir beekeeper), or run with
LD_LIBRARY_PATH=$libdir, or linked with the static library instead: see "Linking" in
$prefix/share/doc/beekeeper/tutorial.md. pkg-config finds Beekeeper with
PKG_CONFIG_PATH=$libdir/pkgconfig.
EOF
