using System.Reflection;

namespace PvMmu.Events;

/// <summary>
/// What the attributes on <see cref="EventKind"/> say, read once: which events are priced and under which key, which
/// are tracepoints and under which capture name, and where the hypervisor's section ends.
/// </summary>
public static class EventKinds
{
    public static readonly int Count = Enum.GetValues<EventKind>().Length;

    private static readonly string?[] PriceKeys = Read<PriceAttribute>(a => a.Key);
    private static readonly string?[] TracepointKeys = Read<TracepointAttribute>(a => a.Key);
    private static readonly string?[] TracepointEventNames = Read<TracepointAttribute>(a => a.Event ?? a.Key);

    /// <summary>The priced events, in the order a cost table lists them.</summary>
    public static IReadOnlyList<EventKind> Priced { get; } = [.. Enum.GetValues<EventKind>().Where(e => PriceKeys[(int)e] != null)];

    /// <summary>Linux's xen:* tracepoints, in <see cref="EventKind"/> order.</summary>
    public static IReadOnlyList<EventKind> Tracepoints { get; } = [.. Enum.GetValues<EventKind>().Where(e => TracepointKeys[(int)e] != null)];

    /// <summary>
    /// The tracepoints' own names (xen.h's, as trace-cmd prints them), each once, in <see cref="EventKind"/> order of
    /// their first event: <c>xen_mc_entry</c> for the three <c>xen_mc_entry_N</c> keys, and so on.
    /// </summary>
    public static IReadOnlyList<string> TracepointEvents { get; } = [.. Tracepoints.Select(e => TracepointEventNames[(int)e]!).Distinct()];

    /// <summary>The tracepoints whose capture key adds a field's value to the tracepoint's name (xen_mc_entry_1, ...).</summary>
    public static IReadOnlyList<EventKind> TracepointDetails { get; } = [.. Tracepoints.Where(e => TracepointKeys[(int)e] != TracepointEventNames[(int)e])];

    /// <summary>The hypervisor model's events (the section before the guest's first, <see cref="EventKind.IpiSent"/>).</summary>
    public static IReadOnlyList<EventKind> Xen { get; } = [.. Enum.GetValues<EventKind>().Where(IsXen)];

    public static bool IsXen(EventKind e) => e < EventKind.IpiSent;

    public static bool IsPriced(EventKind e) => PriceKeys[(int)e] != null;

    /// <summary>The key of an event's price in a cost table (hypercall_entry, ...); it throws for an unpriced event.</summary>
    public static string PriceKey(EventKind e) => PriceKeys[(int)e] ?? throw new ArgumentOutOfRangeException(nameof(e), $"{e} has no price");

    /// <summary>The capture's name of a tracepoint (xen_mc_batch, ...); it throws for an event that is not one.</summary>
    public static string TracepointKey(EventKind e) => TracepointKeys[(int)e] ?? throw new ArgumentOutOfRangeException(nameof(e), $"{e} is not a tracepoint");

    /// <summary>The tracepoint's own name (xen.h's) of a tracepoint event; it throws for an event that is not one.</summary>
    public static string TracepointEvent(EventKind e) => TracepointEventNames[(int)e] ?? throw new ArgumentOutOfRangeException(nameof(e), $"{e} is not a tracepoint");

    private static string?[] Read<T>(Func<T, string> key)
        where T : Attribute
    {
        var keys = new string?[Count];
        foreach (var e in Enum.GetValues<EventKind>())
        {
            var a = typeof(EventKind).GetField(e.ToString(), BindingFlags.Public | BindingFlags.Static)!.GetCustomAttribute<T>();
            keys[(int)e] = a is null ? null : key(a);
        }

        return keys;
    }
}
