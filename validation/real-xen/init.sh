#!/bin/busybox sh
# init of the capture initramfs: runs in dom0 as PID 1.
# Runs each line of /workloads ("pvtest ARGS") with the xen:* tracepoints on,
# counts the events per phase with count.awk, prints everything to the console
# between ===PVCAPTURE BEGIN=== and ===PVCAPTURE END===, and powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
T=/sys/kernel/tracing
mount -t tracefs nodev $T

echo "===PVCAPTURE BEGIN==="
echo "PVINFO linux $(uname -r)"
echo "PVINFO linux_version $(uname -v)"
echo "PVINFO xen_sysfs $(cat /sys/hypervisor/version/major 2>/dev/null).$(cat /sys/hypervisor/version/minor 2>/dev/null)$(cat /sys/hypervisor/version/extra 2>/dev/null)"
echo "PVINFO cmdline $(cat /proc/cmdline)"
echo "PVINFO cpus $(grep -c ^processor /proc/cpuinfo)"
echo "PVINFO memtotal_kb $(awk '/MemTotal/ {print $2}' /proc/meminfo)"
echo "PVINFO thp $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"

echo 0 > $T/tracing_on
echo "${PVBUF:-131072}" > $T/buffer_size_kb
echo "PVINFO buffer_size_kb $(cat $T/buffer_size_kb)"
echo nop > $T/current_tracer
echo > $T/set_event
echo 1 > $T/events/xen/enable
for e in sched/sched_process_fork sched/sched_process_exec sched/sched_process_exit \
         exceptions/page_fault_user exceptions/page_fault_kernel; do
    [ -e $T/events/$e/enable ] && echo 1 > $T/events/$e/enable
done
echo "PVINFO events $(cat $T/set_event | tr '\n' ' ')"
for f in $T/events/xen/*/format; do
    n=${f%/format}; n=${n##*/}
    echo "PVFORMAT $n $(grep '^print fmt' $f)"
done

# pvtest runs as SCHED_FIFO (its children do not); no RT throttling, so a long
# phase is never cut short for other tasks.
echo -1 > /proc/sys/kernel/sched_rt_runtime_us
echo "PVINFO sched_rt_runtime_us $(cat /proc/sys/kernel/sched_rt_runtime_us)"

/bin/pvtest maps

# XENTRACE=1 in capture.sh: Xen's own trace of dom0's PV events (ptwr emulations among them, which no guest
# tracepoint sees), recorded by xentrace around each workload and counted per phase by xtcount; pvtest brackets each
# phase with a sched_op marker Xen traces. xentrace polls rarely (its buffers hold a whole workload), so that it does
# not run inside the phases.
if [ -x /bin/xentrace ]; then
    for m in /modules/xen-evtchn.ko* /modules/xen-privcmd.ko*; do [ -e "$m" ] && insmod "$m"; done
    echo "PVINFO xentrace $(/bin/xentrace -V 2>&1 | head -n1)"
fi
n=0
while read -r line; do
    [ -z "$line" ] && continue
    n=$((n + 1))
    echo "PVRUN $line"
    echo > $T/trace
    xt=""
    if [ -x /bin/xentrace ]; then
        rm -f /tmp/xt.bin
        /bin/xentrace -D -S 8192 -e 0x0020f000 -s 600000 /tmp/xt.bin 2>/tmp/xt.err &
        xt=$!
        sleep 1
        export PVXENMARK=1 PVXENMARK_SEQ=$((n * 100))
    fi
    start=$(cut -d' ' -f1 /proc/uptime)
    echo 1 > $T/tracing_on
    case $line in
        scenario\ *) /bin/pvscen /scenario ;;  # capture.sh's SCENARIO: a workload scenario file, run by pvscen
        *) /bin/pvtest $line ;;
    esac
    echo 0 > $T/tracing_on
    if [ -n "$xt" ]; then
        kill -INT $xt
        wait $xt
        sed 's/^/PVXERR /' /tmp/xt.err
        echo "PVXBYTES $(wc -c < /tmp/xt.bin)"
        /bin/xtcount /tmp/xt.bin
    fi
    end=$(cut -d' ' -f1 /proc/uptime)
    echo "PVTIME $line : $start $end"
    for s in $T/per_cpu/cpu*/stats; do
        c=${s%/stats}; c=${c##*/}
        echo "PVSTAT $c $(grep -E '^(entries|overrun|dropped events):' $s | tr '\n' ' ')"
    done
    awk -f /count.awk $T/trace
    echo "PVDONE $line"
done < /workloads

echo "===PVCAPTURE END==="
sync
poweroff -f
