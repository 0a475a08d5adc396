namespace PvMmu.Xen.Access;

/// <summary>What became of a guest load or store.</summary>
public enum AccessResult
{
    /// <summary>Done by the MMU, through the TLB or a table walk.</summary>
    Ok,

    /// <summary>A write to a read-only mapped L1 that Xen trapped and emulated (ptwr).</summary>
    Emulated,

    /// <summary>A page fault was injected into the guest; nothing was written.</summary>
    PageFault,
}
