#!/usr/bin/env python3
"""Print a capture's main counts as a Markdown table (standard library only).

    summary.py captures/linux-6.1-xen-4.17.json [PHASE ...]
    summary.py --diff A.json B.json

One row per workload and phase (all phases, or only those named), one column
per count below.  The counts are all tasks' events inside the phase.
--diff lists the table's cells that differ between two captures (run-to-run
noise when both come from the same setup).
"""
import json
import sys

COLUMNS = [
    ("mc 1", "xen_mc_entry_1"),           # multicall entries: mmu_update
    ("mc 14", "xen_mc_entry_14"),         # update_va_mapping
    ("mc 26", "xen_mc_entry_26"),         # mmuext_op
    ("mc 3", "xen_mc_entry_3"),           # stack_switch (context switch)
    ("flush", "xen_mc_flush"),
    ("flushed hc", "xen_mc_flush_hypercalls"),
    ("flush ARGS", "xen_mc_flush_reason_ARGS"),
    ("set_pte", "xen_mmu_set_pte"),
    ("set_pmd", "xen_mmu_set_pmd"),
    ("pin", "xen_mmu_pgd_pin"),
    ("unpin", "xen_mmu_pgd_unpin"),
    ("alloc pt", "xen_mmu_alloc_ptpage"),
    ("release pt", "xen_mmu_release_ptpage"),
    ("cr3", "xen_mmu_write_cr3"),
    ("invlpg", "xen_mmu_flush_tlb_one_user"),
    ("pf user", "page_fault_user"),
]


def diff(path_a, path_b):
    with open(path_a, encoding="utf-8") as f:
        a = json.load(f)
    with open(path_b, encoding="utf-8") as f:
        b = json.load(f)
    cells = same = 0
    print("| workload | phase | count | A | B |")
    print("|---|---|---|---:|---:|")
    for name, w in a["workloads"].items():
        for phase, counts in w["phases"].items():
            other = b["workloads"].get(name, {}).get("phases", {}).get(phase, {})
            for col, key in COLUMNS:
                cells += 1
                va, vb = counts.get(key, 0), other.get(key, 0)
                if va == vb:
                    same += 1
                else:
                    print(f"| {name} | {phase} | {col} | {va} | {vb} |")
    print(f"\n{same} of {cells} cells equal")


def main(argv):
    if len(argv) == 4 and argv[1] == "--diff":
        diff(argv[2], argv[3])
        return
    if len(argv) < 2:
        raise SystemExit("usage: summary.py CAPTURE.json [PHASE ...]")
    with open(argv[1], encoding="utf-8") as f:
        cap = json.load(f)
    only = set(argv[2:])
    print(f"Xen {cap['xen']}, Linux {cap['linux']}\n")
    print("| workload | phase | " + " | ".join(c for c, _ in COLUMNS) + " |")
    print("|---|---|" + "---:|" * len(COLUMNS))
    for name, w in cap["workloads"].items():
        for phase, counts in w["phases"].items():
            if only and phase not in only:
                continue
            cells = [str(counts.get(key, 0)) for _, key in COLUMNS]
            print(f"| {name} | {phase} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv)
