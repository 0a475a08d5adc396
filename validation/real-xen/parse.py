#!/usr/bin/env python3
"""Turn the console log of a capture.sh boot into JSON (standard library only).

    parse.py [--wall-seconds S] console.txt > capture.json

The log is what the serial port got: Xen's own lines "(XEN) ..." and dom0's
console.  Only the lines between ===PVCAPTURE BEGIN=== and ===PVCAPTURE END===
(written by init.sh and count.awk) carry counts; Xen's version and command
line are read from its boot banner.  Carriage returns are ignored.

Output (keys sorted, phases in the order they ran):
  {"xen": "4.17.7 (...)", "linux": "6.1.0-...", "linux_version": "...",
   "setup": {...}, "maps": [...],
   "workloads": {"fork-exit-512": {
        "args": "fork-exit 512", "seconds": 1.2, "ring": {"cpu0": {...}},
        "region": {"start": "...", "end": "...", "pages": 512},
        "maps": [...],
        "phases": {"fork": {"xen_mc_entry_1": 3, ...}, ...},
        "other_tasks": {"fork": {...}},
        "outside_phases": {...}}}}
With more than one dom0 vCPU, "cpus": {"exit": {"cpu1": {...}}} splits each
phase's counts by the CPU they were recorded on.
"phases" counts every event recorded inside the phase, whatever task it ran
in; "other_tasks" is the part of it from tasks other than pvtest and pvnop.
With XENTRACE=1 (Xen's own trace, read by xentrace in dom0 and counted by
xtcount), each workload also has "xen_phases": {"exit": {"ptwr_emulation": N,
...}}: the Xen trace records between the phase's two sched_op markers
(PVXMARK lines name them; PVXCOUNT lines count per marker), summed over the
physical CPUs, and "xen_lost" when Xen dropped records.
"""
import json
import re
import sys


def parse(text, wall_seconds=None):
    lines = [l.rstrip("\r") for l in text.replace("\r", "").split("\n")]
    out = {"xen": None, "linux": None, "linux_version": None, "setup": {}, "maps": [],
           "workloads": {}}
    setup = out["setup"]
    for l in lines:
        m = re.search(r"\(XEN\) Xen version (\S+ \([^)]*\))", l)
        if m and out["xen"] is None:
            out["xen"] = m.group(1)
        m = re.search(r"\(XEN\) Command line: (.*)$", l)
        if m and "xen_cmdline" not in setup:
            setup["xen_cmdline"] = m.group(1).strip()
    try:
        begin = lines.index("===PVCAPTURE BEGIN===")
        end = lines.index("===PVCAPTURE END===")
    except ValueError:
        raise SystemExit("parse.py: no ===PVCAPTURE BEGIN/END=== block in the log")
    if wall_seconds is not None:
        setup["wall_seconds"] = wall_seconds

    wl_of_args = {}   # "fork-exit 512" -> "fork-exit-512"
    xmarks = {}       # marker seq -> (workload, phase, edge)
    xcounts = []      # (seq, key, n): records after marker seq (until the next one)
    current = None    # args of the workload being read
    formats = {}

    def workload(name):
        return out["workloads"].setdefault(name, {"phases": {}, "other_tasks": {}})

    def name_for(args):
        a = args.split()
        # The names pvtest gives its phase markers.
        if a[0] in ("fork-exit", "fork-cow") and len(a) == 2:
            return f"{a[0]}-{a[1]}"
        if a[0] == "fork-vmas" and len(a) == 3:
            return f"fork-vmas-{a[1]}x{a[2]}"
        if a[0] == "scenario" and len(a) == 2:
            return a[1]
        if a[0] == "lazy-exit" and len(a) == 2:
            return f"lazy-exit-{a[1]}"
        if a[0] == "exec" and len(a) in (2, 3):
            return f"exec-{a[2] if len(a) == 3 else 0}"
        return a[0]

    for l in lines[begin + 1:end]:
        if not l.startswith("PV"):
            continue
        tag, _, rest = l.partition(" ")
        if tag == "PVINFO":
            key, _, val = rest.partition(" ")
            val = val.strip()
            if key == "linux":
                out["linux"] = val
            elif key == "linux_version":
                out["linux_version"] = val
            elif key == "cmdline":
                setup["dom0_cmdline"] = val
            elif key in ("cpus", "memtotal_kb", "buffer_size_kb"):
                setup[key] = int(val)
            elif key == "events":
                setup["events"] = val.split()
            else:
                setup[key] = val
        elif tag == "PVFORMAT":
            ev, _, fmt = rest.partition(" ")
            formats[ev] = fmt.strip()
        elif tag == "PVRUN":
            current = rest.strip()
            name = name_for(current)
            wl_of_args[current] = name
            workload(name)["args"] = current
        elif tag == "PVMAPS":
            who, _, line = rest.partition(" ")
            if who == "maps":
                out["maps"].append(line)
            else:
                workload(who).setdefault("maps", []).append(line)
        elif tag == "PVREGION":
            who, rng, pages = rest.split()
            start, endaddr = rng.split("-")
            workload(who)["region"] = {"start": "0x" + start, "end": "0x" + endaddr,
                                       "pages": int(pages)}
        elif tag == "PVTIME":
            args, _, t = rest.rpartition(" : ")
            t0, t1 = (float(x) for x in t.split())
            workload(wl_of_args[args.strip()])["seconds"] = round(t1 - t0, 2)
        elif tag == "PVSTAT":
            cpu, _, stats = rest.partition(" ")
            ring = {k.strip().replace(" ", "_"): int(v)
                    for k, v in re.findall(r"([a-z ]+):\s*(\d+)", stats)}
            workload(wl_of_args[current])["ring"] = {**workload(wl_of_args[current]).get("ring", {}),
                                                     cpu: ring}
        elif tag == "PVPHASE":
            who, phase = rest.split()
            workload(who)["phases"].setdefault(phase, {})
        elif tag in ("PVCOUNT", "PVOTHER"):
            who, phase, key, n = rest.split()
            section = "phases" if tag == "PVCOUNT" else "other_tasks"
            workload(who)[section].setdefault(phase, {})[key] = int(n)
        elif tag in ("PVCPU", "PVCPUOTHER"):
            who, phase, cpu, key, n = rest.split()
            section = "cpus" if tag == "PVCPU" else "cpus_other"
            workload(who).setdefault(section, {}).setdefault(phase, {}).setdefault("cpu" + cpu, {})[key] = int(n)
        elif tag == "PVPRESENT":
            who, proc, addr = rest.split()
            workload(who).setdefault("present", {}).setdefault(proc, []).append(addr)
        elif tag == "PVXMARK":
            seq, who, phase, edge = rest.split()[:4]
            xmarks[int(seq)] = (who, phase, edge)
        elif tag == "PVXCOUNT":
            _cpu, seq, key, n = rest.split()
            xcounts.append((int(seq), key, int(n)))
        elif tag == "PVXLOST":
            workload(wl_of_args[current])["xen_lost"] = workload(wl_of_args[current]).get("xen_lost", 0) + int(rest.split()[1])
        elif tag == "PVOUTSIDE":
            key, n = rest.split()
            workload(wl_of_args[current]).setdefault("outside_phases", {})[key] = int(n)

    # Xen-side counts: what follows a BEGIN marker belongs to its phase; what follows an END marker is between phases.
    for seq, key, n in xcounts:
        if seq in xmarks and xmarks[seq][2] == "BEGIN":
            who, phase, _ = xmarks[seq]
            ph = workload(who).setdefault("xen_phases", {}).setdefault(phase, {})
            ph[key] = ph.get(key, 0) + n
    for seq, (who, phase, edge) in xmarks.items():
        if edge == "BEGIN":
            workload(who).setdefault("xen_phases", {}).setdefault(phase, {})
    # stable order: counts by key; phases and workloads as they ran
    for w in out["workloads"].values():
        for section in ("phases", "other_tasks", "xen_phases"):
            if section not in w:
                continue
            w[section] = {ph: dict(sorted(c.items())) for ph, c in w[section].items()}
        for section in ("cpus", "cpus_other"):
            if section in w:
                w[section] = {ph: {c: dict(sorted(v.items())) for c, v in sorted(cs.items())} for ph, cs in w[section].items()}
        if "outside_phases" in w:
            w["outside_phases"] = dict(sorted(w["outside_phases"].items()))
        if not w["other_tasks"]:
            del w["other_tasks"]
    out["tracepoint_formats"] = dict(sorted(formats.items()))
    return out


def main(argv):
    wall = None
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--wall-seconds":
        wall = int(args[1])
        args = args[2:]
    if len(args) != 1:
        raise SystemExit("usage: parse.py [--wall-seconds S] console.txt")
    with open(args[0], encoding="utf-8", errors="replace") as f:
        text = f.read()
    json.dump(parse(text, wall), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
