namespace PvMmu.Sim.Costs;

/// <summary>One lmbench lat_proc figure of Xen commit 8a181133e2: µs before and after "late pin, early unpin".</summary>
public sealed record CalibrationTarget(string Workload, double BeforeMicros, double AfterMicros)
{
    /// <summary>The relative change, in percent (negative: faster after).</summary>
    public double DeltaPercent => 100 * (AfterMicros - BeforeMicros) / BeforeMicros;
}
