# count.awk: count ftrace events per phase (runs inside the guest, busybox awk).
#
# Input: the text of /sys/kernel/tracing/trace.  Phases are opened and closed
# by trace_marker lines "PVMARK <workload> <phase> BEGIN|END" written by pvtest.
# Output lines:
#   PVCOUNT <workload> <phase> <key> <n>   all tasks, events inside the phase
#   PVOTHER <workload> <phase> <key> <n>   the part of the above from tasks
#                                          other than pvtest/pvnop
#   PVOUTSIDE <key> <n>                    events outside every phase
#   PVPHASE <workload> <phase>             every phase seen, even if empty
#   PVCPU <workload> <phase> <cpu> <key> <n>  the phase's counts per CPU, when
#                                          events came from more than one CPU
#   PVCPUOTHER <workload> <phase> <cpu> <key> <n>  the part of a PVCPU count
#                                          from tasks other than ours and the
#                                          idle task (a kworker, the shell)
# A key is the event name; some events also get keys with a detail added:
#   xen_mc_entry_<op>              multicall entry per hypercall number
#   xen_mc_extend_args_<op>_<res>  argument extension per op and result
#   xen_mc_flush_hypercalls        sum of "flushing N hypercalls"
#   xen_mc_flush_callbacks         sum of the callbacks run by flushes
#   xen_mc_flush_empty             flushes of 0 hypercalls
#   xen_mc_flush_reason_<R>        per reason (NONE, BATCH, ARGS, CALLBACK)
#   xen_mc_batch_<mode>, xen_mc_issue_<mode>
#   xen_mmu_alloc_ptpage_<pte|pmd|pud|p4d>_<pinned|unpinned>: the level of the
#                                  page-table page; same for release_ptpage
#   xen_mmu_write_cr3_<kernel|user>
function add(key, n) {
    if (cur == "") { outside[key] += n; return }
    k = cur SUBSEP key
    all[k] += n
    percpu[cur SUBSEP cpu SUBSEP key] += n
    if (!ours && !idle) percpuother[cur SUBSEP cpu SUBSEP key] += n
    if (!ours) other[k] += n
    seen[k] = 1
}

BEGIN { level_name[0] = "pgd"; level_name[1] = "p4d"; level_name[2] = "pud"; level_name[3] = "pmd"; level_name[4] = "pte" }

/^#/ { next }

{
    # find the timestamp field ("12.345678:"); the event name follows it
    ev = ""; at = 0
    for (i = 2; i <= NF; i++) {
        if ($i ~ /^[0-9]+\.[0-9]+:$/) { ev = $(i + 1); at = i + 1; break }
    }
    if (ev == "") next
    sub(/:$/, "", ev)
    task = $1
    cpu = $2; gsub(/[^0-9]/, "", cpu); cpu += 0
    if (cpu > maxcpu) maxcpu = cpu
    ours = (task ~ /^pv(test|nop|scen)(-p[0-9]+)?-[0-9]+$/)
    idle = (task ~ /^<idle>-0$/)

    if (ev == "tracing_mark_write") {
        for (i = at + 1; i <= NF; i++) if ($i == "PVMARK") break
        if (i > NF) next
        if ($(i + 3) == "BEGIN") {
            cur = $(i + 1) " " $(i + 2)
            if (!(cur in order)) { order[cur] = ++norder; names[norder] = cur }
        } else {
            cur = ""
        }
        next
    }

    add(ev, 1)
    rest = ""
    for (i = at + 1; i <= NF; i++) rest = rest " " $i

    if (ev == "xen_mc_entry" || ev == "xen_mc_extend_args") {
        if (match(rest, /op [0-9]+/)) {
            op = substr(rest, RSTART + 3, RLENGTH - 3)
            if (ev == "xen_mc_entry") add("xen_mc_entry_" op, 1)
            else {
                res = "?"
                if (match(rest, /res [A-Za-z_]+/)) res = substr(rest, RSTART + 4, RLENGTH - 4)
                add("xen_mc_extend_args_" op "_" res, 1)
            }
        }
    } else if (ev == "xen_mc_flush") {
        if (match(rest, /flushing [0-9]+ hypercalls/)) {
            n = substr(rest, RSTART + 9, RLENGTH - 20) + 0
            add("xen_mc_flush_hypercalls", n)
            if (n == 0) add("xen_mc_flush_empty", 1)
        }
        if (match(rest, /[0-9]+ callbacks/)) add("xen_mc_flush_callbacks", substr(rest, RSTART, RLENGTH - 10) + 0)
    } else if (ev == "xen_mc_flush_reason") {
        if (match(rest, /reason [A-Za-z_]+/)) add("xen_mc_flush_reason_" substr(rest, RSTART + 7, RLENGTH - 7), 1)
    } else if (ev == "xen_mc_batch" || ev == "xen_mc_issue") {
        if (match(rest, /LAZY_[A-Z]+/)) add(ev "_" substr(rest, RSTART + 5, RLENGTH - 5), 1)
    } else if (ev == "xen_mmu_alloc_ptpage" || ev == "xen_mmu_release_ptpage") {
        # level is Linux's enum pt_level: 0 PGD, 1 P4D, 2 PUD, 3 PMD, 4 PTE
        lvl = "?"
        if (match(rest, /level [0-9]+/)) lvl = substr(rest, RSTART + 6, RLENGTH - 6)
        if (lvl in level_name) lvl = level_name[lvl]
        pin = (rest ~ /unpinned/) ? "unpinned" : "pinned"
        add(ev "_" lvl "_" pin, 1)
    } else if (ev == "xen_mmu_write_cr3") {
        add(ev "_" ((rest ~ /kernel/) ? "kernel" : "user"), 1)
    }
}

END {
    for (j = 1; j <= norder; j++) {
        ph = names[j]
        printf "PVPHASE %s\n", ph
        for (k in seen) {
            split(k, kk, SUBSEP)
            if (kk[1] != ph) continue
            printf "PVCOUNT %s %s %d\n", ph, kk[2], all[k]
            if (other[k] > 0) printf "PVOTHER %s %s %d\n", ph, kk[2], other[k]
        }
    }
    if (maxcpu > 0)
        for (k in percpu) {
            split(k, kk, SUBSEP)
            printf "PVCPU %s %s %s %d\n", kk[1], kk[2], kk[3], percpu[k]
        }
    if (maxcpu > 0)
        for (k in percpuother) {
            split(k, kk, SUBSEP)
            printf "PVCPUOTHER %s %s %s %d\n", kk[1], kk[2], kk[3], percpuother[k]
        }
    for (k in outside) printf "PVOUTSIDE %s %d\n", k, outside[k]
}
