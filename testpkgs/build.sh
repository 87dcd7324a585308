#!/bin/sh
# Rebuilds the committed test packages from their WiX sources with wixl
# (msitools). Run from this directory (go generate does).
set -eu
if ! command -v wixl >/dev/null 2>&1; then
  echo "build.sh: wixl not found; install it (Debian: apt-get install wixl msitools)" >&2
  exit 1
fi
for name in permachine peruser ca-ok ca-fail ca-missing-exe; do
  wixl -o "$name.msi" "$name.wxs"
done
