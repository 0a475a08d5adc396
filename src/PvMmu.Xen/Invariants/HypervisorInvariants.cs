namespace PvMmu.Xen.Invariants;

/// <summary>
/// The hypervisor invariants (docs/xen-rules.md#invariants) <see cref="InvariantChecker"/> reports, by the label that
/// starts each violation it finds: a short name and what a violation of it means, one line each.
/// </summary>
public static class HypervisorInvariants
{
    public static readonly IReadOnlyDictionary<string, string> Meanings = new Dictionary<string, string>
    {
        ["I1"] = "type ref without general ref: a frame's general count is below its type count (plus one if allocated)",
        ["I2"] = "writable page table: a page-table or descriptor frame in use is mapped writable (the PV safety property)",
        ["I3"] = "bad table entry: a validated table has an entry its level forbids, or whose target lacks the references it needs",
        ["I4"] = "type count vs holders: a frame's type count is not the number of its holders",
        ["I5"] = "pinned but not typed: a pinned frame holds no type reference or is not validated",
        ["I6"] = "general count vs free: a frame's general count is 0 but it is not free, or the reverse",
        ["I7"] = "linear page tables: a frame both holds same-level entries and is the target of one, or its linear count is off",
        ["I8"] = "stale TLB: a vCPU caches a writable translation of an in-use page table, or a walk through a frame since retyped or freed",
    };
}
