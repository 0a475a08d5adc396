namespace PvMmu.Linux.Invariants;

/// <summary>
/// The guest invariants <see cref="GuestInvariantChecker"/> reports, by the label that starts each violation it
/// finds: a short name and what a violation of it means, one line each.
/// </summary>
public static class GuestInvariants
{
    public static readonly IReadOnlyDictionary<string, string> Meanings = new Dictionary<string, string>
    {
        ["G1"] = "WARN or oops: a batched hypercall entry failed (xen_mc_flush WARNs), or the kernel faulted",
        ["G2"] = "freed while in use: the guest freed a frame Xen still holds as a page table or a vCPU's base pointer",
        ["G3"] = "stale xen_current_cr3: a CPU's xen_current_cr3 names a base pointer Xen has not installed",
        ["G4"] = "pin state vs direct map: PagePinned disagrees with the page's direct-map entry (pinned must be read-only, unpinned writable)",
        ["G5"] = "freed or miscounted mm: a CPU has a freed mm loaded, or a live mm's mm_users or mm_count is off",
    };
}
