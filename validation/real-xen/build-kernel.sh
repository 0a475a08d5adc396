#!/usr/bin/env bash
# build-kernel.sh: build Debian's Linux 6.1 source (linux-source-6.1) as a minimal Xen PV dom0 kernel, stock and
# with each patch in kernel/*.patch applied, for capture.sh (VMLINUZ=build/vmlinuz-VARIANT).
#
#   validation/real-xen/build-kernel.sh                 # every variant: stock and one per kernel/*.patch
#   VARIANTS="stock no-exit-mmap" validation/real-xen/build-kernel.sh
#
# Config: x86_64 defconfig, then kernel/configs/xen.config, then kernel/pvmmu.config (no modules, tracepoints,
# privcmd/evtchn built in for xentrace). The source is the Debian package as shipped (Debian's patches applied).
# Writes build/vmlinuz-VARIANT and build/kernel-VARIANT.log (with the build's wall time). Reruns reuse what exists;
# the first build is the long one (about 12 minutes on 2 quiet cores), each patched variant after it a minute or so.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$HERE/build}
JOBS=${JOBS:-$(nproc)}
log() { echo "build-kernel: $*" >&2; }
mkdir -p "$BUILD/debs"
for t in flex bison bc; do command -v $t >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends flex bison bc libelf-dev libssl-dev; break; }; done
[ -e /usr/include/libelf.h ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libelf-dev
SRC=$BUILD/linux-source-6.1
if [ ! -d "$SRC" ]; then
    ls "$BUILD"/debs/linux-source-6.1_*.deb >/dev/null 2>&1 ||
        (cd "$BUILD/debs" && apt-get download -o APT::Sandbox::User=root linux-source-6.1)
    rm -rf "$BUILD/linux-deb.tmp" && mkdir -p "$BUILD/linux-deb.tmp"
    dpkg-deb -x "$BUILD"/debs/linux-source-6.1_*.deb "$BUILD/linux-deb.tmp"
    tar -C "$BUILD" -xJf "$BUILD"/linux-deb.tmp/usr/src/linux-source-6.1.tar.xz
    rm -rf "$BUILD/linux-deb.tmp"
fi
VARIANTS=${VARIANTS:-stock $(for p in "$HERE"/kernel/*.patch; do [ -e "$p" ] && basename "$p" .patch; done)}
# One tree and one object directory for every variant: a variant is the stock tree with one patch applied in place,
# so after the first full build each variant recompiles only what its patch touches (and relinks).
tree=$BUILD/linux
obj=$BUILD/obj
if [ ! -d "$tree" ]; then cp -al "$SRC" "$tree.tmp" && mv "$tree.tmp" "$tree"; fi
applied=$BUILD/linux.applied          # the patch the tree carries now, if any
unapply() {
    if [ -s "$applied" ]; then
        (cd "$tree" && patch -p1 -R --no-backup-if-mismatch -s < "$(cat "$applied")")
        : > "$applied"
    fi
}
mkdir -p "$obj"
if [ ! -e "$obj/.config" ]; then
    make -s -C "$tree" O="$obj" x86_64_defconfig >/dev/null
    "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$tree/kernel/configs/xen.config" "$HERE/kernel/pvmmu.config" >/dev/null
    make -s -C "$tree" O="$obj" olddefconfig >/dev/null
fi
for want in CONFIG_XEN_PV=y CONFIG_XEN_DOM0=y CONFIG_HVC_XEN=y CONFIG_EVENT_TRACING=y CONFIG_XEN_PRIVCMD=y CONFIG_XEN_DEV_EVTCHN=y; do
    grep -qx "$want" "$obj/.config" || { log "$want did not survive olddefconfig"; exit 1; }
done
for v in $VARIANTS; do
    out=$BUILD/vmlinuz-$v
    patch=$HERE/kernel/$v.patch
    if [ -e "$out" ] && { [ "$v" = stock ] || [ "$out" -nt "$patch" ]; }; then log "$v: $out exists"; continue; fi
    unapply
    if [ "$v" != stock ]; then
        # patch writes a new file for the one it changes, so the hard-linked source package stays untouched
        (cd "$tree" && patch -p1 --no-backup-if-mismatch -s < "$patch")
        echo "$patch" > "$applied"
    fi
    log "$v: building with -j$JOBS (log in $BUILD/kernel-$v.log)"
    t0=$(date +%s)
    if ! nice -n 10 make -C "$tree" O="$obj" -j"$JOBS" bzImage > "$BUILD/kernel-$v.log" 2>&1; then
        tail -n 30 "$BUILD/kernel-$v.log" >&2; exit 1
    fi
    t1=$(date +%s)
    echo "build wall seconds: $((t1 - t0)) on $(nproc) cores, -j$JOBS, load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$BUILD/kernel-$v.log"
    cp "$obj/arch/x86/boot/bzImage" "$out.tmp" && mv "$out.tmp" "$out"
    log "$v: $out ($((t1 - t0)) s)"
done
unapply
