#!/bin/sh
# qemu-swtpm.sh: the qemu builder's qemu_binary for builds with a vTPM. It
# runs qemu-system-x86_64 with a TPM 2.0 emulated by swtpm whose state is
# kept in a folder the template names, in the build's output directory, so
# that the image can boot later with the same vTPM (the qemu plugin's own
# `vtpm = true` keeps swtpm's state in a temporary folder that it deletes at
# the end of the build, and has no option to keep it).
#
# The template passes `-msilab-swtpm-state <folder>` among qemu's
# arguments (qemuargs); this script takes it out, starts
#   swtpm socket --tpm2 --tpmstate dir=<folder> --ctrl type=unixio,path=<socket> --terminate --daemon
# and runs qemu with the same arguments plus
#   -chardev socket,id=chrtpm,path=<socket> -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0
# (QEMU's TPM emulator backend: https://www.qemu.org/docs/master/specs/tpm.html).
# swtpm ends when qemu closes the socket (--terminate). Without the option it
# runs qemu unchanged (the plugin's `qemu -version`). MSILAB_QEMU and
# MSILAB_SWTPM name other binaries (tests).
set -eu
qemu=${MSILAB_QEMU:-qemu-system-x86_64}
swtpm=${MSILAB_SWTPM:-swtpm}

state=
n=$#
while [ "$n" -gt 0 ]; do
    arg=$1
    shift
    n=$((n - 1))
    if [ "$arg" = "-msilab-swtpm-state" ] && [ "$n" -gt 0 ]; then
        state=$1
        shift
        n=$((n - 1))
        continue
    fi
    set -- "$@" "$arg"
done

if [ -z "$state" ]; then
    exec "$qemu" "$@"
fi

mkdir -p "$state"
# A Unix socket's path is limited to 107 bytes: keep it short, out of the
# output directory.
sockdir=$(mktemp -d "${TMPDIR:-/tmp}/msilab-swtpm.XXXXXX")
sock=$sockdir/swtpm.sock
if ! "$swtpm" socket --tpm2 --tpmstate dir="$state" --ctrl type=unixio,path="$sock" --terminate --daemon; then
    echo "qemu-swtpm.sh: $swtpm did not start (is swtpm installed? Debian/Ubuntu: apt-get install swtpm)" >&2
    exit 1
fi
tries=0
while [ ! -S "$sock" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then
        echo "qemu-swtpm.sh: swtpm did not create $sock within 10 s" >&2
        exit 1
    fi
    sleep 0.1
done
exec "$qemu" "$@" -chardev socket,id=chrtpm,path="$sock" -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0
