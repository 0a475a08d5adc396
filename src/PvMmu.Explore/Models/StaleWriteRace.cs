using System.Globalization;
using PvMmu.Xen;

namespace PvMmu.Explore.Models;

/// <summary>
/// A hypervisor-only race whose violation is a write Xen made through a stale translation (the XSA-286 races, 64-bit
/// and 32-bit): the one word of state beside the steps is whether such a write happened, and its description is the
/// violation.
/// </summary>
public abstract class StaleWriteRace : HypervisorRace
{
    protected StaleWriteRace(string name, Hypervisor hypervisor, int stepsA, int stepsB)
        : base(name, hypervisor, stepsA, stepsB)
    {
    }

    /// <summary>The stale write a step made, described, or null.</summary>
    protected string? Stale { get; set; }

    protected override int OwnWords(Span<ulong> into)
    {
        into[0] = Stale == null ? 0UL : 1UL;
        return 1;
    }

    protected override object? OwnSnapshot() => Stale;

    protected override void OwnRestore(object? own) => Stale = (string?)own;

    protected override string? RaceViolation() => Stale;

    protected static string Frame(uint mfn) => mfn.ToString(CultureInfo.InvariantCulture);
}
