namespace PvMmu.Events;

/// <summary>
/// Marks an event that is one of Linux's xen:* tracepoints (include/trace/events/xen.h), with the name the real
/// capture counts it under (validation/real-xen/parse.py's keys) and the tracepoint's own name, which trace-cmd
/// prints: the same unless the key adds a field's value (<c>xen_mc_entry_1</c> is an <c>xen_mc_entry</c> of
/// hypercall 1, <c>xen_mc_flush_reason_BATCH</c> an <c>xen_mc_flush_reason</c> with reason BATCH).
/// </summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class TracepointAttribute(string key) : Attribute
{
    public string Key { get; } = key;

    /// <summary>The tracepoint's name in xen.h (TRACE_EVENT's first argument); default: <see cref="Key"/>.</summary>
    public string? Event { get; init; }
}
