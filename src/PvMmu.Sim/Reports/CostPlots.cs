using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace PvMmu.Sim.Reports;

/// <summary>The cost report's plots as PNG bytes, drawn with ScottPlot 5 (which renders with SkiaSharp).</summary>
internal static class CostPlots
{
    public const int Width = 960;
    public const int Height = 540;

    // Asked for by name because ScottPlot's own default resolves to a serif face on Debian; DejaVu ships with its
    // base images. Where it is missing, ScottPlot's default stays.
    private const string FontName = "DejaVu Sans";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// One bar per strategy, stacked from the first part (bottom) to the last (top); micros are modeled µs,
    /// [strategy][part]. With <paramref name="bands"/> ([strategy][low, high] µs) each bar carries its total's band as
    /// a whisker.
    /// </summary>
    public static byte[] StackedBars(string title, IReadOnlyList<string> strategies, IReadOnlyList<string> parts, double[][] micros, double[][]? bands = null)
    {
        var plot = NewPlot(title);
        // Category10's colors are the most distinct; Category20 (pairs of a dark and a light shade) keeps up to 20
        // parts apart.
        IPalette palette = parts.Count <= 10 ? new ScottPlot.Palettes.Category10() : new ScottPlot.Palettes.Category20();
        var bars = new List<Bar>();
        for (var s = 0; s < strategies.Count; s++)
        {
            var bottom = 0.0;
            for (var p = 0; p < parts.Count; p++)
            {
                var top = bottom + micros[s][p];
                bars.Add(new Bar
                {
                    Position = s,
                    ValueBase = bottom,
                    Value = top,
                    FillColor = palette.GetColor(p),
                    LineWidth = 0,
                });
                bottom = top;
            }
        }

        plot.Add.Bars(bars);
        for (var s = 0; bands is not null && s < strategies.Count; s++)
        {
            // A whisker: the band's vertical line with a cap at each end, drawn as one polyline.
            const double cap = 0.12;
            double lo = bands[s][0], hi = bands[s][1];
            double[] wx = [s - cap, s + cap, s, s, s - cap, s + cap];
            double[] wy = [lo, lo, lo, hi, hi, hi];
            var whisker = plot.Add.Scatter(wx, wy, Colors.Black);
            whisker.LineWidth = 2;
            whisker.MarkerSize = 0;
        }

        if (bands is not null)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "total's band (price intervals)", FillColor = Colors.Black });
        }

        // Listed top part first, so the legend reads in the same order as the stack.
        for (var p = parts.Count - 1; p >= 0; p--)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = parts[p], FillColor = palette.GetColor(p) });
        }

        plot.ShowLegend(Edge.Right);
        var positions = Enumerable.Range(0, strategies.Count).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new NumericManual(positions, [.. strategies]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0);
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        plot.XLabel("strategy");
        plot.YLabel("modeled µs");
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>
    /// Modeled µs against process size, one line per strategy, on log-log axes (log x and linear y when some value is
    /// not positive, which a log axis cannot place); micros are modeled µs, [strategy][size].
    /// </summary>
    public static byte[] Sweep(string title, IReadOnlyList<string> strategies, IReadOnlyList<int> pages, double[][] micros)
    {
        var plot = NewPlot(title);
        var palette = new ScottPlot.Palettes.Category10();
        var logY = SweepLogY(micros);
        // ScottPlot 5 has no log axis: the data are plotted as log10 values and the ticks labelled with the real ones.
        var xs = pages.Select(p => Math.Log10(p)).ToArray();
        for (var s = 0; s < strategies.Count; s++)
        {
            var ys = logY ? micros[s].Select(Math.Log10).ToArray() : [.. micros[s]];
            var line = plot.Add.Scatter(xs, ys, palette.GetColor(s));
            line.LegendText = strategies[s];
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }

        plot.ShowLegend(Edge.Right);
        var distinct = pages.Distinct().Order().Select(p => (double)p).ToList();
        // The measured sizes themselves are the clearest ticks while they fit side by side.
        plot.Axes.Bottom.TickGenerator = distinct.Count <= 8 ? LogTicks(distinct) : LogTicks(distinct[0], distinct[^1]);
        plot.XLabel("process size (pages, log scale)");
        if (logY)
        {
            var all = micros.SelectMany(row => row).ToList();
            plot.Axes.Left.TickGenerator = LogTicks(all.Min(), all.Max());
            plot.YLabel("modeled µs (log scale)");
        }
        else
        {
            plot.YLabel("modeled µs");
        }

        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Whether the sweep's time axis is logarithmic: only when every time is positive.</summary>
    public static bool SweepLogY(double[][] micros) => micros.All(row => row.All(v => v > 0));

    private static Plot NewPlot(string title)
    {
        var plot = new Plot();
        if (Fonts.GetTypeface(FontName, false, false)?.FamilyName == FontName)
        {
            plot.Font.Set(FontName);
        }

        plot.Title(title);
        return plot;
    }

    /// <summary>Major ticks of a log10-plotted axis at the given values, with 2..9 × 10^k minor ticks around them.</summary>
    private static NumericManual LogTicks(IReadOnlyList<double> majors)
    {
        var ticks = new NumericManual();
        foreach (var v in majors)
        {
            ticks.AddMajor(Math.Log10(v), v.ToString("G6", Inv));
        }

        var k0 = (int)Math.Floor(Math.Log10(majors.Min())) - 1;
        var k1 = (int)Math.Ceiling(Math.Log10(majors.Max())) + 1;
        for (var k = k0; k <= k1; k++)
        {
            for (var m = 2; m <= 9; m++)
            {
                ticks.AddMinor(Math.Log10(m * Math.Pow(10, k)));
            }
        }

        return ticks;
    }

    /// <summary>Log-axis ticks over [lo, hi]: 1, 2, 5 × 10^k, or only the powers of ten when those would crowd.</summary>
    private static NumericManual LogTicks(double lo, double hi)
    {
        var majors = RoundValues(lo, hi, [1, 2, 5]);
        if (majors.Count > 8)
        {
            majors = RoundValues(lo, hi, [1]);
        }

        // A range narrower than one 1-2-5 step: its ends are labelled too, so the axis has a scale.
        if (majors.Count < 2)
        {
            majors = [.. majors.Append(lo).Append(hi).Distinct().Order()];
        }

        return LogTicks(majors);
    }

    private static List<double> RoundValues(double lo, double hi, int[] mantissas)
    {
        List<double> values = [];
        for (var k = (int)Math.Floor(Math.Log10(lo)); k <= (int)Math.Ceiling(Math.Log10(hi)); k++)
        {
            foreach (var m in mantissas)
            {
                var v = m * Math.Pow(10, k);
                // A relative tolerance, so that a bound that is itself a round value is not lost to rounding.
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
                {
                    values.Add(v);
                }
            }
        }

        return values;
    }
}
