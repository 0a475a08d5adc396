#!/usr/bin/env bash
# capture.sh: boot a real Xen 4.17 with a real Linux 6.1 PV dom0 under QEMU
# (software emulation), run the pvtest workloads in dom0 with Linux's xen:*
# tracepoints on, and turn the counts printed on the console into JSON.
#
#   validation/real-xen/capture.sh            # all of it, a few minutes
#
# Environment (all optional):
#   BUILD      build directory            (default: validation/real-xen/build)
#   OUT        the JSON written           (default: captures/linux-6.1-xen-4.17.json)
#   WORKLOADS  pvtest argument lines, ';'-separated (default: see below)
#   TIMEOUT    seconds before QEMU is killed (default: 1200)
#   XEN_PKG    Debian package with the hypervisor (xen-hypervisor-4.17-amd64)
#   LINUX_PKG  Debian package with the dom0 kernel (default: the one that
#              linux-image-amd64 depends on)
#   NO_OUT=1   boot and log, but write no capture files
#   DOM0_VCPUS dom0's vCPUs (default 1; lazy-exit needs 2; QEMU has 2 CPUs, or DOM0_VCPUS if more)
#   SCENARIO   a workload scenario in pvscen's line format (`pvmmu validate --scenario F --driver-lines`): run by
#              pvscen after the WORKLOADS, with DOM0_VCPUS = the scenario's vCPUs + 1 (the driver's own vCPU);
#              `pvmmu validate --scenario F --capture [OUT]` sets all three
#   VMLINUZ    the dom0 kernel to boot instead of LINUX_PKG's (a build-kernel.sh build: build/vmlinuz-VARIANT)
#   XENTRACE=1 also record Xen's own trace of dom0 (xentrace from xen-utils-4.17, in the initramfs with its
#              libraries; Xen booted with tbuf_size=) and count its ptwr emulations, PV page faults and hypercalls
#              per phase (xtcount.c). Needs a kernel with privcmd and evtchn built in (build-kernel.sh's are);
#              Debian's kernel has them as modules, which the initramfs does not carry.
#
# Idempotent: what is already there is reused.  Debian packages that must run
# on this machine (qemu, gcc, cpio) are installed with apt-get; the hypervisor,
# the kernel and busybox-static are downloaded as .deb files and unpacked into
# the build directory only (nothing is installed into /boot).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$HERE/build}
OUT=${OUT:-$HERE/captures/linux-6.1-xen-4.17.json}
TIMEOUT=${TIMEOUT:-1200}
XEN_PKG=${XEN_PKG:-xen-hypervisor-4.17-amd64}
DEFAULT_WORKLOADS="null;fork-exit 0;fork-exit 1;fork-exit 511;fork-exit 512;fork-exit 513;fork-exit 1000;fork-exit 10000;fork-exit 100000;fork-cow 1;fork-cow 512;fork-cow 10000;fork-vmas 3 300;fork-vmas 8 1000;exec /bin/pvnop 0;exec /bin/pvnop 512;exec /bin/pvnop 10000"
WORKLOADS=${WORKLOADS:-$DEFAULT_WORKLOADS}

log() { echo "capture: $*" >&2; }

apt_updated=0
apt_update_once() {
    if [ $apt_updated = 0 ]; then
        log "apt-get update"
        apt-get update -qq
        apt_updated=1
    fi
}

# install Debian packages for the commands that are missing
need() { # need COMMAND PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        apt_update_once
        log "installing $2"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2"
    fi
}
need qemu-system-x86_64 qemu-system-x86
need gcc gcc
need cpio cpio
need gzip gzip
need python3 python3
if [ ! -e /usr/lib/x86_64-linux-gnu/libc.a ]; then
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libc6-dev
fi

mkdir -p "$BUILD/debs" "$BUILD/pkgs"

# download (not install) a Debian package and unpack it under $BUILD/pkgs/NAME
unpack() { # unpack PACKAGE
    local pkg=$1 dir=$BUILD/pkgs/$1
    [ -d "$dir" ] && return 0
    if ! ls "$BUILD/debs/${pkg}"_*.deb >/dev/null 2>&1; then
        apt-cache show "$pkg" >/dev/null 2>&1 || apt_update_once
        log "downloading $pkg"
        (cd "$BUILD/debs" && apt-get download -o APT::Sandbox::User=root "$pkg")
    fi
    mkdir -p "$dir.tmp"
    dpkg-deb -x "$BUILD/debs/${pkg}"_*.deb "$dir.tmp"
    mv "$dir.tmp" "$dir"
}

if [ -z "${LINUX_PKG:-}" ]; then
    apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt_update_once
    LINUX_PKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
log "hypervisor: $XEN_PKG, kernel: $LINUX_PKG"
unpack "$XEN_PKG"
unpack "$LINUX_PKG"
unpack busybox-static

XEN_GZ=$(ls "$BUILD/pkgs/$XEN_PKG"/boot/xen-*-amd64.gz | head -n1)
VMLINUZ=${VMLINUZ:-$(ls "$BUILD/pkgs/$LINUX_PKG"/boot/vmlinuz-* | head -n1)}
log "dom0 kernel: $VMLINUZ"
# QEMU's multiboot loader wants the uncompressed hypervisor
[ "$BUILD/xen" -nt "$XEN_GZ" ] || gunzip -c "$XEN_GZ" > "$BUILD/xen"

# the test programs
CFLAGS="-O2 -Wall -Wextra"
[ "$BUILD/pvtest" -nt "$HERE/pvtest.c" ] ||
    gcc $CFLAGS -static -o "$BUILD/pvtest" "$HERE/pvtest.c"
[ "$BUILD/pvscen" -nt "$HERE/pvscen.c" ] ||
    gcc $CFLAGS -static -Wl,-Ttext-segment=0x20000000 -o "$BUILD/pvscen" "$HERE/pvscen.c"
[ "$BUILD/pvnop" -nt "$HERE/pvnop.c" ] ||
    gcc -O2 -static -nostdlib -fno-stack-protector -no-pie -o "$BUILD/pvnop" "$HERE/pvnop.c"

# the initramfs (rebuilt every run: cheap, and the workload list may change)
ROOT=$BUILD/root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,proc,sys,dev,tmp}
cp "$BUILD/pkgs/busybox-static/bin/busybox" "$ROOT/bin/busybox"
cp "$BUILD/pvtest" "$BUILD/pvnop" "$BUILD/pvscen" "$ROOT/bin/"
cp "$HERE/init.sh" "$ROOT/init"
cp "$HERE/count.awk" "$ROOT/count.awk"
XEN_TRACE_CMD=""
if [ "${XENTRACE:-0}" = 1 ]; then
    # xentrace and the shared libraries it loads (resolved with ldd against the unpacked packages), and xtcount
    XT_PKGS="xen-utils-4.17 libxenmisc4.17 libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxentoollog1 libxenstore4 libxentoolcore1 libxendevicemodel1 libyajl2"
    for p in $XT_PKGS; do unpack "$p"; done
    XT_BIN=$(ls "$BUILD"/pkgs/xen-utils-4.17/usr/lib/xen-*/bin/xentrace | head -n1)
    XT_LIBPATH=$(for p in $XT_PKGS; do echo "$BUILD/pkgs/$p/usr/lib/x86_64-linux-gnu"; done | tr '\n' :)
    mkdir -p "$ROOT/lib/x86_64-linux-gnu" "$ROOT/lib64"
    cp "$XT_BIN" "$ROOT/bin/xentrace"
    LD_LIBRARY_PATH=$XT_LIBPATH ldd "$XT_BIN" | awk '/=> \// {print $3}' | while read -r lib; do
        cp -L "$lib" "$ROOT/lib/x86_64-linux-gnu/"
    done
    cp -L /lib64/ld-linux-x86-64.so.2 "$ROOT/lib64/"
    [ "$BUILD/xtcount" -nt "$HERE/xtcount.c" ] || gcc $CFLAGS -static -o "$BUILD/xtcount" "$HERE/xtcount.c"
    cp "$BUILD/xtcount" "$ROOT/bin/"
    # Debian's kernel has privcmd and evtchn as modules: carry them (init.sh loads what it finds)
    for m in xen-evtchn xen-privcmd; do
        f=$(find "$BUILD/pkgs/$LINUX_PKG/lib/modules" -name "$m.ko*" 2>/dev/null | head -n1)
        if [ -n "$f" ]; then mkdir -p "$ROOT/modules"; cp "$f" "$ROOT/modules/"; fi
    done
    # trace buffers of 8192 pages (32 MiB) per physical CPU: a whole workload fits, so xentrace need not wake
    # inside a phase; dom0's vCPU pinned, so its records come in order on one CPU's stream
    XEN_TRACE_CMD=" tbuf_size=8192 dom0_vcpus_pin"
fi
chmod +x "$ROOT/init"
echo "$WORKLOADS" | tr ';' '\n' > "$ROOT/workloads"
if [ -n "${SCENARIO:-}" ]; then
    cp "$SCENARIO" "$ROOT/scenario"
    echo "scenario $(awk '$1 == "name" {print $2}' "$SCENARIO")" >> "$ROOT/workloads"
fi
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9n) > "$BUILD/initrd.gz"

# boot.  Xen: smap=0 because dom0 faults at once under TCG otherwise;
# dom0: one vCPU so the phases are not interleaved, norandmaps so page-table
# counts repeat.  In -initrd a comma in a module's command line is written ",,".
XEN_CMD="console=com1 com1=115200 dom0_mem=2G,max:2G dom0_max_vcpus=${DOM0_VCPUS:-1} smap=0 loglvl=all guest_loglvl=all noreboot$XEN_TRACE_CMD"
DOM0_CMD="console=hvc0 earlyprintk=xen norandmaps loglevel=4"
LOG=$BUILD/console.log
rm -f "$LOG"
log "booting (timeout ${TIMEOUT}s); console in $LOG"
t0=$(date +%s)
set +e
SMP=$(( ${DOM0_VCPUS:-1} > 2 ? ${DOM0_VCPUS:-1} : 2 ))
timeout "$TIMEOUT" qemu-system-x86_64 -machine q35 -cpu max,smap=off -smp "$SMP" -m 3072 \
    -display none -nographic -no-reboot -monitor none -serial "file:$LOG" \
    -kernel "$BUILD/xen" -append "$XEN_CMD" \
    -initrd "$VMLINUZ $DOM0_CMD,$BUILD/initrd.gz" </dev/null
rc=$?
set -e
t1=$(date +%s)
log "QEMU exit $rc after $((t1 - t0)) s"
tr -d '\r' < "$LOG" > "$BUILD/console.txt"
if ! grep -q '^===PVCAPTURE END===' "$BUILD/console.txt"; then
    log "no END marker in the console log; last lines:"
    tail -n 40 "$BUILD/console.txt" >&2
    exit 1
fi

[ "${NO_OUT:-0}" = 1 ] && exit 0
mkdir -p "$(dirname "$OUT")"
python3 "$HERE/parse.py" --wall-seconds $((t1 - t0)) "$BUILD/console.txt" > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "wrote $OUT"
base=${OUT%.json}
gzip -9n -c "$BUILD/console.txt" > "$base.console.log.gz"
grep '^PVMAPS maps ' "$BUILD/console.txt" | sed 's/^PVMAPS maps //' > "$base.maps.txt"
log "wrote $base.console.log.gz ($(stat -c %s "$base.console.log.gz") bytes) and $base.maps.txt"
