using System.Globalization;
using System.Text;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Costs;

/// <summary>
/// Fits a cost table to Xen commit 8a181133e2 ("late pin, early unpin", 2005): lmbench lat_proc on a Linux 2.6.12
/// dom0 went fork 536 → 346 µs, exec 1446 → 1050 µs, sh 3614 → 2831 µs. The model runs the same three workloads
/// under the policy before the commit (<see cref="EarlyPinLateUnpin"/>) and after it (<see cref="Linux61"/>, whose
/// pinning is the commit's), on one vCPU. Modeled time is linear in the prices, so each run is reduced once to a
/// count vector; the fit then moves the prices in log space, by coordinate descent, to minimise the squared
/// residuals of the three deltas (percentage points), plus a quarter weight on the six absolute times (as 100·ln of
/// their ratio) and a pull towards the priors (<see cref="PriorWeight"/>·(100·ln(price/prior))²). Deterministic: no randomness, a fixed
/// order, a fixed step schedule.
/// </summary>
public static class Calibration
{
    public const string BeforeStrategy = "EarlyPinLateUnpin";
    public const string AfterStrategy = "Linux61";
    public const int Vcpus = 1;
    public const ulong Seed = 1;

    /// <summary>The pull towards the priors: a price doubled costs as much as a residual of √(0.003)·69 ≈ 3.8 pp.</summary>
    public const double PriorWeight = 0.003;

    /// <summary>First and last phase of an lmbench iteration: everything but the setup.</summary>
    public const int FirstPhase = 1;

    public static IReadOnlyList<CalibrationTarget> Targets { get; } =
    [
        new("lat-proc-fork", 536, 346),
        new("lat-proc-exec", 1446, 1050),
        new("lat-proc-sh", 3614, 2831),
    ];

    /// <summary>The count vectors (events of every phase but setup) before and after, per target.</summary>
    public static (long[] Before, long[] After)[] CountVectors()
    {
        var v = new (long[], long[])[Targets.Count];
        for (var i = 0; i < Targets.Count; i++)
        {
            v[i] = (Vector(Targets[i].Workload, BeforeStrategy), Vector(Targets[i].Workload, AfterStrategy));
        }

        return v;
    }

    private static long[] Vector(string workload, string strategy)
    {
        var r = WorkloadRunner.Run(workload, ExitStrategies.Find(strategy)!, Vcpus, 0, Seed, XenVersion.Current);
        var c = r.Costs!;
        var v = new long[CostCounts.EventCount];
        for (var e = 0; e < v.Length; e++)
        {
            for (var p = FirstPhase; p < c.Phases; p++)
            {
                v[e] += c.InPhase(p, (CostEvent)e);
            }
        }

        return v;
    }

    private static double Micros(long[] counts, double[] ns)
    {
        double s = 0;
        for (var e = 0; e < counts.Length; e++)
        {
            s += counts[e] * ns[e];
        }

        return s / 1000;
    }

    /// <summary>The model's lmbench figures under a cost table, against the commit's.</summary>
    public static CalibrationRow[] Evaluate(CostTable table) => Evaluate(table.ToArray(), CountVectors());

    private static CalibrationRow[] Evaluate(double[] ns, (long[] Before, long[] After)[] v)
    {
        var rows = new CalibrationRow[Targets.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = new CalibrationRow(Targets[i], Micros(v[i].Before, ns), Micros(v[i].After, ns));
        }

        return rows;
    }

    private static double Objective(double[] ns, double[] prior, (long[] Before, long[] After)[] v)
    {
        double j = 0;
        foreach (var r in Evaluate(ns, v))
        {
            j += r.ResidualPoints * r.ResidualPoints;
            var b = 100 * Math.Log(r.ModelBeforeMicros / r.Target.BeforeMicros);
            var a = 100 * Math.Log(r.ModelAfterMicros / r.Target.AfterMicros);
            j += 0.25 * ((b * b) + (a * a));
        }

        for (var e = 0; e < ns.Length; e++)
        {
            if (prior[e] > 0)
            {
                var d = 100 * Math.Log(ns[e] / prior[e]);
                j += PriorWeight * d * d;
            }
        }

        return j;
    }

    /// <summary>
    /// Fits the prices that the lmbench runs count (the others keep their priors), then rounds each to three
    /// significant digits, as the shipped table holds them.
    /// </summary>
    public static CostTable Fit(CostTable priors, string name)
    {
        var v = CountVectors();
        var prior = priors.ToArray();
        var ns = (double[])prior.Clone();
        var used = new bool[ns.Length];
        foreach (var (b, a) in v)
        {
            for (var e = 0; e < ns.Length; e++)
            {
                used[e] |= (b[e] != 0 || a[e] != 0) && prior[e] > 0;
            }
        }

        var best = Objective(ns, prior, v);
        for (var step = Math.Log(2); step > 1e-4; step /= 2)
        {
            var improved = true;
            for (var round = 0; improved && round < 1000; round++)
            {
                improved = false;
                for (var e = 0; e < ns.Length; e++)
                {
                    if (!used[e])
                    {
                        continue;
                    }

                    foreach (var dir in (ReadOnlySpan<double>)[1, -1])
                    {
                        var old = ns[e];
                        ns[e] = old * Math.Exp(dir * step);
                        var j = Objective(ns, prior, v);
                        if (j < best - 1e-12)
                        {
                            best = j;
                            improved = true;
                            break;
                        }

                        ns[e] = old;
                    }
                }
            }
        }

        for (var e = 0; e < ns.Length; e++)
        {
            ns[e] = RoundSignificant(ns[e], 3);
        }

        return CostTable.FromArray(name, ns);
    }

    private static double RoundSignificant(double x, int digits)
    {
        if (x == 0)
        {
            return 0;
        }

        var scale = Math.Pow(10, digits - 1 - (int)Math.Floor(Math.Log10(Math.Abs(x))));
        return Math.Round(x * scale) / scale;
    }

    /// <summary>The fit's residuals as a table (what <c>pvmmu calibrate</c> prints and docs/performance.md records).</summary>
    public static string Table(CostTable table)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"cost table {table.Name}: lmbench lat_proc, {BeforeStrategy} (before 8a181133e2) vs {AfterStrategy} (after), {Vcpus} vCPU\n");
        sb.Append(inv, $"{"workload",-15}{"model before",14}{"model after",13}{"model Δ",10}{"8a181133e2",13}{"its Δ",9}{"residual",10}\n");
        foreach (var r in Evaluate(table))
        {
            sb.Append(inv, $"{r.Target.Workload,-15}{r.ModelBeforeMicros,11:0.0} µs{r.ModelAfterMicros,10:0.0} µs{r.ModelDeltaPercent,9:0.0}%{r.Target.BeforeMicros,6:0}→{r.Target.AfterMicros,4:0} µs{r.Target.DeltaPercent,8:0.0}%{r.ResidualPoints,7:+0.0;-0.0} pp\n");
        }

        return sb.ToString();
    }
}
