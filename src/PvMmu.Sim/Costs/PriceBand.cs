namespace PvMmu.Sim.Costs;

/// <summary>
/// A modeled quantity's band: its least and greatest value over every price of a cost table's intervals
/// (<see cref="CostTable.Intervals"/>), each at either end, every other price as the table has it. A modeled time is
/// linear in the prices and a ratio of two is linear-fractional, so both are monotone in each price and their extremes
/// are at corners of the box: the band is exact, and deterministic (the corners in a fixed order).
/// </summary>
public static class PriceBand
{
    /// <summary>The price arrays (indexed by event) at every corner of the table's intervals: 2^k of them for k intervals.</summary>
    public static IReadOnlyList<double[]> Corners(CostTable table)
    {
        var intervals = table.Intervals;
        var corners = new double[1 << intervals.Count][];
        for (var m = 0; m < corners.Length; m++)
        {
            var ns = table.ToArray();
            for (var k = 0; k < intervals.Count; k++)
            {
                ns[(int)intervals[k].Event] = (m & (1 << k)) == 0 ? intervals[k].LowNs : intervals[k].HighNs;
            }

            corners[m] = ns;
        }

        return corners;
    }

    /// <summary>The least and greatest of <paramref name="f"/> over the corners of the table's intervals.</summary>
    public static (double Low, double High) Of(CostTable table, Func<double[], double> f)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var ns in Corners(table))
        {
            var v = f(ns);
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }

        return (lo, hi);
    }

    /// <summary>Whether a band of differences keeps one sign (both ends above zero, or both below).</summary>
    public static bool SignRobust((double Low, double High) band) => (band.Low > 0 && band.High > 0) || (band.Low < 0 && band.High < 0);

    /// <summary>"+18.0 % to +31.0 % (robust)", "(sign not robust)", or "(no difference)" when the band is 0 at both ends.</summary>
    public static string DeltaText((double Low, double High) band) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{band.Low:+0.0;-0.0;0.0} % to {band.High:+0.0;-0.0;0.0} % ({(SignRobust(band) ? "robust" : band.Low == 0 && band.High == 0 ? "no difference" : "sign not robust")})");
}
