using System.Globalization;
using System.Text;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Costs;

/// <summary>
/// Fits a cost table to Xen commit 8a181133e2 ("late pin, early unpin", 2005): lmbench lat_proc on a Linux 2.6.12
/// dom0 went fork 536 → 346 µs, exec 1446 → 1050 µs, sh 3614 → 2831 µs. The model runs the same three workloads
/// under the policy before the commit (<see cref="EarlyPinLateUnpin"/>) and after it (<see cref="Linux61"/>, whose
/// pinning is the commit's), on one vCPU. Modeled time is linear in the prices, so each run is reduced once to a
/// count vector. Three deltas determine at most two prices: only <see cref="FreePrices"/> move, every other price
/// is fixed at its prior with its source (priors.toml), and the fit is plain least squares on the three deltas
/// (percentage points) over the two free prices in log space (Nelder–Mead, Math.NET). Deterministic: a fixed start,
/// a fixed simplex, no randomness.
/// </summary>
public static class Calibration
{
    public const string BeforeStrategy = "EarlyPinLateUnpin";
    public const string AfterStrategy = "Linux61";
    public const int Vcpus = 1;
    public const ulong Seed = 1;

    /// <summary>First phase of an lmbench iteration: everything but the setup.</summary>
    public const int FirstPhase = 1;

    /// <summary>
    /// The relative noise of one lmbench time. 8a181133e2's own table moved paths the commit did not touch by up to
    /// 0.5 % (stat 3.93 → 3.91 µs); twice that is taken for lat_proc, whose runs fork and exec.
    /// </summary>
    public const double TimeNoise = 0.01;

    public static IReadOnlyList<CalibrationTarget> Targets { get; } =
    [
        new("lat-proc-fork", 536, 346),
        new("lat-proc-exec", 1446, 1050),
        new("lat-proc-sh", 3614, 2831),
    ];

    /// <summary>
    /// The two prices the deltas determine: what a trapped page-table write costs and what one validated
    /// mmu_update entry costs. The deltas are the difference between trapping PTE writes into pinned tables and
    /// batching them unpinned; no publication gives either price, and every other price has a source.
    /// </summary>
    public static IReadOnlyList<EventKind> FreePrices { get; } = [EventKind.PtwrEmulation, EventKind.MmuUpdateRequest];

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
        var c = r.Events;
        var v = new long[EventKinds.Count];
        for (var e = 0; e < v.Length; e++)
        {
            for (var p = FirstPhase; p < c.Phases; p++)
            {
                v[e] += c.InPhase(p, (EventKind)e);
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

    /// <summary>
    /// A target's noise in percentage points of its delta: the delta a/b − 1 with each time off by
    /// <see cref="TimeNoise"/>, independently, moves by about √2 · <see cref="TimeNoise"/> · a/b.
    /// </summary>
    public static double NoisePoints(CalibrationTarget t) => 100 * Math.Sqrt(2) * TimeNoise * t.AfterMicros / t.BeforeMicros;

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

    private static double Residual(int target, double[] ns, (long[] Before, long[] After)[] v) =>
        new CalibrationRow(Targets[target], Micros(v[target].Before, ns), Micros(v[target].After, ns)).ResidualPoints;

    private static double SquaredResiduals(double[] ns, (long[] Before, long[] After)[] v, IReadOnlyList<int> targets)
    {
        double j = 0;
        foreach (var t in targets)
        {
            var r = Residual(t, ns, v);
            j += r * r;
        }

        return j;
    }

    /// <summary>The prices with the free ones at <paramref name="start"/>·e^x.</summary>
    private static double[] WithFree(double[] start, Vector<double> x)
    {
        var ns = (double[])start.Clone();
        for (var k = 0; k < FreePrices.Count; k++)
        {
            ns[(int)FreePrices[k]] = start[(int)FreePrices[k]] * Math.Exp(x[k]);
        }

        return ns;
    }

    /// <summary>Least squares over the free prices on the given targets, from the priors.</summary>
    private static double[] Solve(double[] prior, (long[] Before, long[] After)[] v, IReadOnlyList<int> targets)
    {
        var f = ObjectiveFunction.Value(x => SquaredResiduals(WithFree(prior, x), v, targets));
        var start = Vector<double>.Build.Dense(FreePrices.Count);
        var step = Vector<double>.Build.Dense(FreePrices.Count, 0.5);
        var r = NelderMeadSimplex.Minimum(f, start, step, 1e-12, 20000);
        return WithFree(prior, r.MinimizingPoint);
    }

    /// <summary>
    /// Fits the free prices to the three deltas from <paramref name="priors"/> (every other price kept), rounds each
    /// to three significant digits as the shipped table holds them, and computes the leave-one-out residuals and
    /// each free price's interval.
    /// </summary>
    public static CalibrationFit Fit(CostTable priors, string name)
    {
        var v = CountVectors();
        var prior = priors.ToArray();
        var all = Enumerable.Range(0, Targets.Count).ToArray();
        var ns = Solve(prior, v, all);
        foreach (var e in FreePrices)
        {
            ns[(int)e] = RoundSignificant(ns[(int)e], 3);
        }

        var loo = new double[Targets.Count];
        var looPrices = new IReadOnlyList<double>[Targets.Count];
        for (var k = 0; k < Targets.Count; k++)
        {
            var other = Solve(prior, v, [.. all.Where(i => i != k)]);
            loo[k] = Residual(k, other, v);
            looPrices[k] = [.. FreePrices.Select(e => RoundSignificant(other[(int)e], 3))];
        }

        var free = FreePrices.Select((e, k) => Interval(ns, v, k)).ToArray();
        return new CalibrationFit(CostTable.FromArray(name, ns, [.. free.Select(f => new PriceInterval(f.Event, f.LowNs, f.HighNs))]), Evaluate(ns, v), loo, looPrices, free);
    }

    /// <summary>
    /// The interval of free price <paramref name="k"/>: outward from the fit in steps of 2^(1/8), then by bisection,
    /// the last values at which, with the other free prices refitted, no residual exceeds its fitted size plus
    /// its target's noise.
    /// </summary>
    private static FreePrice Interval(double[] fitted, (long[] Before, long[] After)[] v, int k)
    {
        var e = (int)FreePrices[k];
        var allowed = Enumerable.Range(0, Targets.Count).Select(t => Math.Abs(Residual(t, fitted, v)) + NoisePoints(Targets[t])).ToArray();
        var all = Enumerable.Range(0, Targets.Count).ToArray();
        bool Within(double logRatio)
        {
            var start = (double[])fitted.Clone();
            start[e] = fitted[e] * Math.Exp(logRatio);
            var ns = FreePrices.Count == 1 ? start : SolveOthers(start, v, all, k);
            return Enumerable.Range(0, Targets.Count).All(t => Math.Abs(Residual(t, ns, v)) <= allowed[t]);
        }

        double Edge(int dir)
        {
            const double step = 0.0866; // ln 2 / 8
            const double limit = 4.16; // ln 64: an interval wider than ×64 is reported at its cap
            double inside = 0, outside = double.NaN;
            for (var x = step; x <= limit; x += step)
            {
                if (!Within(dir * x))
                {
                    outside = x;
                    break;
                }

                inside = x;
            }

            if (double.IsNaN(outside))
            {
                return dir * inside;
            }

            for (var i = 0; i < 30; i++)
            {
                var mid = (inside + outside) / 2;
                if (Within(dir * mid))
                {
                    inside = mid;
                }
                else
                {
                    outside = mid;
                }
            }

            return dir * inside;
        }

        return new FreePrice(FreePrices[k], fitted[e], RoundSignificant(fitted[e] * Math.Exp(Edge(-1)), 3), RoundSignificant(fitted[e] * Math.Exp(Edge(1)), 3));
    }

    /// <summary>Least squares over every free price but <paramref name="held"/>, which stays at its value in <paramref name="start"/>.</summary>
    private static double[] SolveOthers(double[] start, (long[] Before, long[] After)[] v, IReadOnlyList<int> targets, int held)
    {
        var others = Enumerable.Range(0, FreePrices.Count).Where(i => i != held).ToArray();
        double[] At(Vector<double> x)
        {
            var ns = (double[])start.Clone();
            for (var i = 0; i < others.Length; i++)
            {
                ns[(int)FreePrices[others[i]]] = start[(int)FreePrices[others[i]]] * Math.Exp(x[i]);
            }

            return ns;
        }

        var f = ObjectiveFunction.Value(x => SquaredResiduals(At(x), v, targets));
        var r = NelderMeadSimplex.Minimum(f, Vector<double>.Build.Dense(others.Length), Vector<double>.Build.Dense(others.Length, 0.5), 1e-12, 20000);
        return At(r.MinimizingPoint);
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

    /// <summary>The residuals of a table as a table (what <c>pvmmu calibrate</c> prints for the priors).</summary>
    public static string Table(CostTable table) => Table(table.Name, Evaluate(table), null);

    /// <summary>A fit as text: its residuals beside the leave-one-out ones, and each free price with its interval.</summary>
    public static string Table(CalibrationFit fit)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(Table(fit.Table.Name, fit.Rows, fit.LeaveOneOutPoints));
        for (var k = 0; k < fit.Rows.Count; k++)
        {
            var prices = string.Join(", ", FreePrices.Select((e, i) => string.Create(inv, $"{CostTable.Key(e)} {fit.LeaveOneOutPrices[k][i]:0.###} ns")));
            sb.Append(inv, $"  without {fit.Rows[k].Target.Workload}, the other two fit {prices}\n");
        }

        sb.Append(inv, $"free prices ({fit.FreePrices.Count}, for {Targets.Count} targets; every other price fixed with its source in priors.toml):\n");
        foreach (var f in fit.FreePrices)
        {
            sb.Append(inv, $"  {CostTable.Key(f.Event),-20}{f.Ns,8:0.###} ns   interval {f.LowNs:0.###} – {f.HighNs:0.###} ns (residuals within the fit's plus the targets' noise)\n");
        }

        return sb.ToString();
    }

    private static string Table(string name, IReadOnlyList<CalibrationRow> rows, IReadOnlyList<double>? loo)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"cost table {name}: lmbench lat_proc, {BeforeStrategy} (before 8a181133e2) vs {AfterStrategy} (after), {Vcpus} vCPU\n");
        sb.Append(inv, $"{"workload",-15}{"model before",14}{"model after",13}{"model Δ",10}{"8a181133e2",13}{"its Δ",9}{"residual",10}{"noise",8}");
        sb.Append(loo is null ? "\n" : $"{"leave-one-out",15}\n");
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            sb.Append(inv, $"{r.Target.Workload,-15}{r.ModelBeforeMicros,11:0.0} µs{r.ModelAfterMicros,10:0.0} µs{r.ModelDeltaPercent,9:0.0}%{r.Target.BeforeMicros,6:0}→{r.Target.AfterMicros,4:0} µs{r.Target.DeltaPercent,8:0.0}%{r.ResidualPoints,7:+0.0;-0.0;0.0} pp{NoisePoints(r.Target),5:±0.0}");
            sb.Append(loo is null ? "\n" : string.Create(inv, $"{loo[i],12:+0.0;-0.0;0.0} pp\n"));
        }

        return sb.ToString();
    }
}
