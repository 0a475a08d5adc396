using System.Text.Json;
using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Tests.Costs;

/// <summary>
/// Bands (issue 17 item 6): a modeled time and a difference priced over the table's price intervals. The band is
/// checked against an independent scan of the intervals on a grid (not only their corners), and its sign rule
/// against its ends.
/// </summary>
public sealed class PriceBandTests
{
    private static readonly Lazy<Comparison> Kbuild = new(() => Comparison.Run(
        WorkloadCatalog.Build("kbuild", 2, 0, 1), [ExitStrategies.Find("Linux61")!, ExitStrategies.Find("NoExitUnpin")!, ExitStrategies.Find("EarlyPinLateUnpin")!], CostTable.Default, 1, XenVersion.Current));

    /// <summary>Every priced event's count, every phase but setup.</summary>
    private static long[] Counts(RunResult r)
    {
        var n = new long[EventKinds.Count];
        for (var p = 1; p < r.Phases.Count; p++)
        {
            foreach (var e in EventKinds.Priced)
            {
                n[(int)e] += r.Events.InPhase(p, e);
            }
        }

        return n;
    }

    private static double Micros(long[] counts, double[] ns) => counts.Select((c, e) => c * ns[e]).Sum() / 1000;

    [Fact]
    public void TheShippedTableGivesTheFreePricesIntervalsAroundTheirPrices()
    {
        var t = CostTable.Default;
        Assert.Equal([EventKind.MmuUpdateRequest, EventKind.PtwrEmulation], t.Intervals.Select(i => i.Event));
        foreach (var i in t.Intervals)
        {
            Assert.InRange(t[i.Event], i.LowNs, i.HighNs);
            Assert.True(i.LowNs < i.HighNs);
        }
    }

    [Fact]
    public void ABandHoldsEveryPriceOfTheIntervalsAndReachesItsEnds()
    {
        // An independent scan: both free prices over an 11 × 11 grid of their intervals, the difference of each
        // strategy from Linux61 computed from the runs' count vectors. The band must hold every grid value, and
        // (the function being monotone in each price) its ends are grid corners, so they are reached exactly.
        var c = Kbuild.Value;
        var t = CostTable.Default;
        var baseline = Counts(c.Runs[0]);
        for (var s = 1; s < c.Runs.Count; s++)
        {
            var mine = Counts(c.Runs[s]);
            double lo = double.MaxValue, hi = double.MinValue;
            var ns = t.ToArray();
            var (a, b) = (t.Intervals[0], t.Intervals[1]);
            for (var i = 0; i <= 10; i++)
            {
                for (var j = 0; j <= 10; j++)
                {
                    ns[(int)a.Event] = a.LowNs + ((a.HighNs - a.LowNs) * i / 10);
                    ns[(int)b.Event] = b.LowNs + ((b.HighNs - b.LowNs) * j / 10);
                    var d = 100 * (Micros(mine, ns) - Micros(baseline, ns)) / Micros(baseline, ns);
                    lo = Math.Min(lo, d);
                    hi = Math.Max(hi, d);
                }
            }

            var band = c.DeltaBand(s);
            Assert.Equal(lo, band.Low, 9);
            Assert.Equal(hi, band.High, 9);
            var point = 100 * (c.TotalMicros(s) - c.TotalMicros(0)) / c.TotalMicros(0);
            Assert.InRange(point, band.Low, band.High);
            Assert.Equal(band.Low > 0 || band.High < 0, PriceBand.SignRobust(band));
        }

        // A total's band: its least at both lows, its greatest at both highs (counts are never negative).
        var lows = t.ToArray();
        var highs = t.ToArray();
        foreach (var i in t.Intervals)
        {
            lows[(int)i.Event] = i.LowNs;
            highs[(int)i.Event] = i.HighNs;
        }

        Assert.Equal(Micros(baseline, lows), c.TotalBand(0).Low, 6);
        Assert.Equal(Micros(baseline, highs), c.TotalBand(0).High, 6);
    }

    [Fact]
    public void TheBandIsTheSameEachTimeAndInTheJson()
    {
        var c = Kbuild.Value;
        Assert.Equal(c.DeltaBand(1), c.DeltaBand(1));
        var json = JsonDocument.Parse(c.Json()).RootElement.GetProperty("strategies");
        var second = json[1];
        var band = second.GetProperty("delta_band_percent");
        Assert.Equal(Math.Round(c.DeltaBand(1).Low, 2), band[0].GetDouble());
        Assert.Equal(Math.Round(c.DeltaBand(1).High, 2), band[1].GetDouble());
        Assert.Equal(band[0].GetDouble() * band[1].GetDouble() > 0, second.GetProperty("sign_robust").GetBoolean());
        Assert.Contains(c.Runs[1].Strategy + " vs " + c.Runs[0].Strategy + ": ", c.BandText(), StringComparison.Ordinal);
    }

    [Fact]
    public void ATableWithoutIntervalsHasBandsOfOneValue()
    {
        var t = CostTable.Parse("name = \"flat\"\n[prices_ns]\nptwr_trap = 425\nmmu_update_request = 457\n", "flat.toml", CostTable.Default.ToArray(), CostTable.Default.Intervals);
        Assert.Empty(t.Intervals);
        var (lo, hi) = PriceBand.Of(t, ns => ns[(int)EventKind.PtwrEmulation]);
        Assert.Equal(425, lo);
        Assert.Equal(425, hi);
    }

    [Theory]
    [InlineData("[intervals_ns]\nptwr_trap = [500, 300]\n", 2)]
    [InlineData("[intervals_ns]\nptwr_trap = [100, 200]\n", 2)]
    [InlineData("[intervals_ns]\nptwr_trap = 300\n", 2)]
    [InlineData("[intervals_ns]\nptwr_trapp = [1, 2]\n", 2)]
    public void AnIntervalThatDoesNotHoldItsPriceIsOneErrorWithItsLine(string text, int line)
    {
        var e = Assert.Throws<CostTableException>(() => CostTable.Parse(text, "bad.toml", CostTable.Default.ToArray(), CostTable.Default.Intervals));
        Assert.Equal(line, e.Line);
    }

    [Fact]
    public void TheTomlItPrintsReadsBackToTheSameIntervals()
    {
        var back = CostTable.Parse(CostTable.Default.ToToml(), "x.toml", null);
        Assert.Equal(CostTable.Default.Intervals, back.Intervals);
    }
}
