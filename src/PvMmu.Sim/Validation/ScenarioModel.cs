using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Validation;

/// <summary>
/// The model's tracepoint counts for a workload scenario file, per phase, vCPU and tracepoint, as
/// <c>pvmmu run --scenario</c> counts them (<see cref="WorkloadRunner"/>: the setup phase, then each move charged to
/// its operation's phase, an IPI's handler to the exit that sent it). The real side is validation/real-xen/pvscen.c,
/// which marks each step's window with the same phase names.
/// </summary>
public static class ScenarioModel
{
    /// <summary>Counts [phase][vCPU][<see cref="EventKind"/>] of one run of <paramref name="spec"/>.</summary>
    public static long[][][] Counts(WorkloadSpec spec, IExitStrategy strategy, ulong seed = 1)
    {
        var run = WorkloadRunner.Run(spec, strategy, seed, XenVersion.Current);
        var e = run.Events;
        var counts = new long[e.Phases][][];
        for (var p = 0; p < e.Phases; p++)
        {
            counts[p] = new long[e.Vcpus][];
            for (var v = 0; v < e.Vcpus; v++)
            {
                counts[p][v] = new long[EventKinds.Count];
                foreach (var t in EventKinds.Tracepoints)
                {
                    counts[p][v][(int)t] = e.Get(p, v, t);
                }
            }
        }

        return counts;
    }
}
