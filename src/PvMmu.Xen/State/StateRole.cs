namespace PvMmu.Xen.State;

/// <summary>How an array of a model's declared state enters its fingerprint.</summary>
public enum StateRole
{
    /// <summary>Its bytes, as they are.</summary>
    Hashed,

    /// <summary>
    /// Indices into the page-table pool: the fingerprint takes the contents of the pages they index, keyed by the
    /// frame, not the indices (which only say in what order pages were first written).
    /// </summary>
    PageIndex,
}
