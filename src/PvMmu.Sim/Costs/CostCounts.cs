using PvMmu.Linux;
using PvMmu.Linux.Accounting;
using PvMmu.Xen.Events;

namespace PvMmu.Sim.Costs;

/// <summary>
/// The counts a cost table prices, [phase, vCPU, event], read from the two models' own counters after a run. Counts
/// never depend on prices: the same run priced by two tables has the same counts.
/// </summary>
public sealed class CostCounts
{
    public static readonly int EventCount = Enum.GetValues<CostEvent>().Length;

    private readonly long[] _counts;

    public CostCounts(int phases, int vcpus)
    {
        Phases = phases;
        Vcpus = vcpus;
        _counts = new long[phases * vcpus * EventCount];
    }

    public int Phases { get; }

    public int Vcpus { get; }

    public long Get(int phase, int vcpu, CostEvent e) => _counts[(((phase * Vcpus) + vcpu) * EventCount) + (int)e];

    public void Add(int phase, int vcpu, CostEvent e, long n) => _counts[(((phase * Vcpus) + vcpu) * EventCount) + (int)e] += n;

    /// <summary>One event over every vCPU of a phase.</summary>
    public long InPhase(int phase, CostEvent e)
    {
        long n = 0;
        for (var v = 0; v < Vcpus; v++)
        {
            n += Get(phase, v, e);
        }

        return n;
    }

    /// <summary>One event over every phase and vCPU.</summary>
    public long Total(CostEvent e)
    {
        long n = 0;
        for (var p = 0; p < Phases; p++)
        {
            n += InPhase(p, e);
        }

        return n;
    }

    /// <summary>The counter of the hypervisor model each hypervisor-side cost event reads.</summary>
    public static XenEvent? XenSource(CostEvent e) => e switch
    {
        CostEvent.HypercallEntry => XenEvent.Hypercall,
        CostEvent.MulticallEntry => XenEvent.MulticallEntry,
        CostEvent.MmuUpdateRequest => XenEvent.MmuUpdateRequest,
        CostEvent.MmuextOp => XenEvent.MmuExtOp,
        CostEvent.UpdateVaMapping => XenEvent.UpdateVaMapping,
        CostEvent.EntryValidated => XenEvent.EntriesValidated,
        CostEvent.EntryDevalidated => XenEvent.EntriesDevalidated,
        CostEvent.PtwrTrap => XenEvent.PtwrEmulation,
        CostEvent.InjectedFault => XenEvent.FaultInjected,
        CostEvent.LocalFlush => XenEvent.LocalFlush,
        CostEvent.LocalInvlpg => XenEvent.LocalInvlpg,
        CostEvent.RemoteFlush => XenEvent.RemoteFlush,
        CostEvent.RemoteFlushTarget => XenEvent.RemoteFlushTargets,
        CostEvent.Cr3Load => XenEvent.Cr3Load,
        CostEvent.TypeChangeFlush => XenEvent.TypeChangeFlush,
        CostEvent.ModeSwitch => XenEvent.ModeSwitch,
        CostEvent.TlbFill => XenEvent.TlbFill,
        _ => null,
    };

    /// <summary>The counter of the guest model each guest-side cost event reads.</summary>
    public static GuestEvent? GuestSource(CostEvent e) => e switch
    {
        CostEvent.IpiSent => GuestEvent.IpiSent,
        CostEvent.IpiHandled => GuestEvent.IpiHandled,
        CostEvent.NativePteStore => GuestEvent.NativePteStore,
        CostEvent.PageFault => GuestEvent.PageFault,
        CostEvent.ContextSwitch => GuestEvent.ContextSwitch,
        CostEvent.Fork => GuestEvent.Fork,
        CostEvent.Exec => GuestEvent.Exec,
        CostEvent.Exit => GuestEvent.Exit,
        _ => null,
    };

    /// <summary>Reads every priced count of a finished run from the hypervisor's and the guest's counters.</summary>
    public static CostCounts From(Kernel k)
    {
        var x = k.Xen.Events;
        var c = new CostCounts(x.Phases, k.Cpus);
        foreach (var e in Enum.GetValues<CostEvent>())
        {
            var xs = XenSource(e);
            var gs = GuestSource(e);
            for (var p = 0; p < c.Phases; p++)
            {
                for (var v = 0; v < c.Vcpus; v++)
                {
                    c.Add(p, v, e, xs is { } xe ? x.Get(p, v, xe) : k.Counts.Get(p, v, gs!.Value));
                }
            }
        }

        return c;
    }
}
