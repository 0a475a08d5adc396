using PvMmu.Linux.Multicalls;

namespace PvMmu.Sim.Reports;

/// <summary>What one workload run counted: per phase and per metric, the warnings, and the oopses.</summary>
public sealed class RunResult
{
    public static readonly int MetricCount = Enum.GetValues<Metric>().Length;

    public RunResult(string workload, string strategy, int vcpus, int pages, ulong seed, string xen, IReadOnlyList<string> phases)
    {
        Workload = workload;
        Strategy = strategy;
        Vcpus = vcpus;
        Pages = pages;
        Seed = seed;
        Xen = xen;
        Phases = phases;
        Counts = new long[phases.Count * MetricCount];
    }

    public string Workload { get; }

    public string Strategy { get; }

    public int Vcpus { get; }

    public int Pages { get; }

    public ulong Seed { get; }

    public string Xen { get; }

    public IReadOnlyList<string> Phases { get; }

    /// <summary>The priced counts per phase and vCPU (set when the run ends).</summary>
    public Costs.CostCounts? Costs { get; set; }

    /// <summary>[phase × metric].</summary>
    public long[] Counts { get; }

    public List<McWarning> WarningList { get; } = [];

    public List<string> Oopses { get; } = [];

    /// <summary>The moves the scheduler made, in order.</summary>
    public List<string> Schedule { get; } = [];

    /// <summary>Guest invariants found broken (after a move, or at the end), each with where.</summary>
    public List<string> GuestViolations { get; } = [];

    /// <summary>
    /// Hypervisor invariants (docs/xen-rules.md#invariants) found broken after the run; empty when all hold.
    /// </summary>
    public List<string> XenViolations { get; } = [];

    public long Get(int phase, Metric m) => Counts[(phase * MetricCount) + (int)m];

    public void Add(int phase, Metric m, long n) => Counts[(phase * MetricCount) + (int)m] += n;

    /// <summary>A metric over the phases from <paramref name="firstPhase"/> on (the workload's operations without setup).</summary>
    public long From(int firstPhase, Metric m)
    {
        long t = 0;
        for (var p = firstPhase; p < Phases.Count; p++)
        {
            t += Get(p, m);
        }

        return t;
    }

    public long Total(Metric m)
    {
        long t = 0;
        for (var p = 0; p < Phases.Count; p++)
        {
            t += Get(p, m);
        }

        return t;
    }
}
