namespace PvMmu.Events;

/// <summary>
/// Marks an event that is one of Linux's xen:* tracepoints (include/trace/events/xen.h), with the name the real
/// capture counts it under (validation/real-xen/parse.py's keys).
/// </summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class TracepointAttribute(string key) : Attribute
{
    public string Key { get; } = key;
}
