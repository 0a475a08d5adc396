using System.Diagnostics;
using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;
using PvMmu.Xen.Frames;

namespace PvMmu.Sim.Bench;

/// <summary>
/// The project's own throughput (<c>pvmmu bench</c>): validated page-table entry operations per second (pin and
/// unpin of <see cref="PinTree"/>, one core), simulated time per wall second on the default mix (kbuild, 2 vCPUs,
/// Linux61, the built-in cost table), and the frame table's bytes per frame. Each figure is the best of several
/// timed rounds after warm-up rounds (the JIT's tiering moves the hot paths to optimized code only after a few
/// runs; a single cold run is several times slower), so JIT tiering and a busy neighbour weigh less.
/// </summary>
public static class ThroughputBench
{
    public const string MixWorkload = "kbuild";
    public const int MixVcpus = 2;

    /// <summary>Untimed runs of the mix before the timed ones.</summary>
    public const int WarmUpRounds = 15;

    /// <summary>Validated entry operations per second: the best round of <paramref name="rounds"/>.</summary>
    public static double PtEntryOpsPerSecond(int rounds, int pinsPerRound)
    {
        var h = PinTree.Build(out var l4);
        var best = 0.0;
        for (var r = -1; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < pinsPerRound; i++)
            {
                if (PinTree.PinAndUnpin(h, l4) != 0)
                {
                    throw new InvalidOperationException("the 1 GiB pin failed");
                }
            }

            sw.Stop();
            if (r >= 0)
            {
                best = Math.Max(best, (double)PinTree.Operations * pinsPerRound / sw.Elapsed.TotalSeconds);
            }
        }

        return best;
    }

    /// <summary>
    /// The events of the MMU itself: every priced event but the flat native work beside it (a demand fault's page
    /// clearing, a context switch's scheduling, fork's, exec's and exit's task work), which costs one constant each,
    /// and a program's compute (user-mode and uncounted kernel µs), which the model counts without simulating.
    /// </summary>
    public static IReadOnlyList<EventKind> MmuEvents { get; } =
        [.. EventKinds.Priced.Where(e => e is not (EventKind.PageFault or EventKind.ContextSwitch or EventKind.Fork or EventKind.Exec or EventKind.Exit or EventKind.UserCompute or EventKind.KernelWork))];

    /// <summary>
    /// Modeled time over wall time for one run of the default mix: modeled µs of the workload's operations (every
    /// phase but setup, every vCPU, as <c>run</c> and <c>compare</c> total it) per wall µs of the whole run (boot,
    /// setup and checks included), and the same for the MMU events alone (<see cref="MmuEvents"/>): the best round
    /// of <paramref name="rounds"/>.
    /// </summary>
    public static (double Ratio, double ModeledMicros, double WallMicros, double MmuMicros) SimToWall(int rounds, ulong seed = 1)
    {
        var strategy = new Linux61();
        var best = (Ratio: 0.0, ModeledMicros: 0.0, WallMicros: 0.0, MmuMicros: 0.0);
        for (var r = -WarmUpRounds; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            var result = WorkloadRunner.Run(WorkloadCatalog.Build(MixWorkload, MixVcpus, 0, seed), strategy, seed, XenVersion.Current);
            sw.Stop();
            var time = new ModeledTime(result.Events, CostTable.Default);
            var last = result.Phases.Count - 1;
            var modeled = time.Micros(FirstPhase, last);
            var wall = sw.Elapsed.TotalMicroseconds;
            if (r >= 0 && modeled / wall > best.Ratio)
            {
                var mmu = 0.0;
                foreach (var e in MmuEvents)
                {
                    mmu += time.EventMicros(e, FirstPhase, last);
                }

                best = (modeled / wall, modeled, wall, mmu);
            }
        }

        return best;
    }

    /// <summary>The first phase a total counts: every phase but setup.</summary>
    public const int FirstPhase = 1;

    public static int BytesPerFrame => FrameTable.BytesPerFrame;
}
