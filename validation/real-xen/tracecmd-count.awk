# tracecmd-count.awk: one line per xen:* event of a trace, in the layout `pvmmu run --trace-cmd` prints, so that
#
#   trace-cmd report trace.dat | awk -f tracecmd-count.awk | LC_ALL=C sort | uniq -c > real.txt
#   pvmmu run --scenario FILE.yaml --trace-cmd > model.txt
#   diff real.txt model.txt
#
# compares a real machine's counts with the model's line by line.  (trace-cmd record -e xen -e ftrace:print ...
# records what it needs; the text of /sys/kernel/tracing/trace works as well.)
#
# Each event gives the line "PHASE TASK [CPU] EVENT":
#   PHASE  the phase from the last trace_marker line "PVMARK <workload> <phase> BEGIN" (pvtest's markers; END
#          closes it); "-" outside every phase.  pvmmu's phases are setup, switch, fork, exec and exit.
#   TASK   the comm of trace-cmd's "comm-pid" column, the pid left out (threads share their comm; pvmmu has no
#          pids): pvmmu names a process by its workload name, a kernel thread kthread/N, the idle task <idle>.
#   CPU    as trace-cmd prints it, [000].
#   EVENT  the tracepoint's name (xen_mc_entry, ...).
# Events whose count key (count.awk's, validate's) adds a field give a second line with that key:
#   xen_mc_entry_<op>, xen_mc_extend_args_<op>_<res>, xen_mc_flush_reason_<reason>.
# Only xen:* events are counted.

/^#/ { next }

{
    ev = ""; at = 0
    for (i = 2; i <= NF; i++) {
        if ($i ~ /^[0-9]+\.[0-9]+:$/) { ev = $(i + 1); at = i + 1; break }
    }
    if (ev == "") next
    sub(/:$/, "", ev)

    if (ev == "tracing_mark_write" || ev == "print") {
        for (i = at + 1; i <= NF; i++) if ($i == "PVMARK") break
        if (i > NF) next
        phase = ($(i + 3) == "BEGIN") ? $(i + 2) : ""
        next
    }
    if (ev !~ /^xen_/) next

    task = $1
    sub(/-[0-9]+$/, "", task)
    cpu = $2
    key = ((phase == "") ? "-" : phase) " " task " " cpu
    print key " " ev

    rest = ""
    for (i = at + 1; i <= NF; i++) rest = rest " " $i
    if (ev == "xen_mc_entry" || ev == "xen_mc_extend_args") {
        if (match(rest, /op [0-9]+/)) {
            op = substr(rest, RSTART + 3, RLENGTH - 3)
            if (ev == "xen_mc_entry") print key " xen_mc_entry_" op
            else {
                res = "?"
                if (match(rest, /res [A-Za-z_]+/)) res = substr(rest, RSTART + 4, RLENGTH - 4)
                print key " xen_mc_extend_args_" op "_" res
            }
        }
    } else if (ev == "xen_mc_flush_reason") {
        if (match(rest, /reason [A-Za-z_]+/)) print key " xen_mc_flush_reason_" substr(rest, RSTART + 7, RLENGTH - 7)
    }
}
