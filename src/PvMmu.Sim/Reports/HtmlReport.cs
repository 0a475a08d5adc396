using System.Globalization;
using System.Text;

namespace PvMmu.Sim.Reports;

/// <summary>
/// A static HTML report of a cost comparison: index.html with the run's parameters, its text table, and PNG plots
/// each followed by the numbers it draws. The same data give a byte-identical index.html.
/// </summary>
public static class HtmlReport
{
    public const string IndexFile = "index.html";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    // Lets a headless browser check the page: every image decoded (data-images-ok, data-images) and no script or
    // resource error (data-errors). Capturing on window also sees an image's load error, which does not bubble.
    private const string CheckScript = """
        (function () {
          var errors = 0;
          function record() { if (document.body) { document.body.dataset.errors = String(errors); } }
          window.addEventListener('error', function () { errors++; record(); }, true);
          window.addEventListener('load', function () {
            var images = document.images, ok = true;
            for (var i = 0; i < images.length; i++) {
              if (!images[i].complete || images[i].naturalWidth === 0) { ok = false; }
            }
            document.body.dataset.images = String(images.length);
            document.body.dataset.imagesOk = ok ? 'true' : 'false';
            record();
          });
        })();
        """;

    private const string Style = """
        body { font-family: sans-serif; margin: 2em; max-width: 70em; }
        pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
        table { border-collapse: collapse; margin: 1em 0 2em; }
        th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
        td { text-align: right; font-variant-numeric: tabular-nums; }
        th[scope=row] { text-align: left; font-weight: normal; }
        dt { font-weight: bold; }
        img { max-width: 100%; height: auto; }
        """;

    /// <summary>
    /// Writes index.html and the plots into <paramref name="dir"/> and returns index.html's full path. Every file is
    /// written in a temporary sibling directory first and then renamed into place, so a failure leaves no half-written
    /// report; in an existing directory only the files of this report are replaced.
    /// </summary>
    /// <exception cref="ArgumentException">The data's arrays do not match its names, or hold a negative or non-finite time.</exception>
    /// <exception cref="IOException">The directory cannot be created or written.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission to create or write the directory is denied.</exception>
    public static string Write(string dir, CostReportData data)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        ArgumentNullException.ThrowIfNull(data);
        Validate(data);

        // Everything is rendered before the disk is touched: a plotting failure writes nothing.
        var plots = Plots(data);
        var html = Html(data, plots);
        var files = plots.Select(p => (p.File, p.Png))
            .Append((IndexFile, Utf8NoBom.GetBytes(html)))
            .ToList();
        return Place(dir, files);
    }

    private static void Validate(CostReportData d)
    {
        if (d.Strategies.Count == 0)
        {
            throw new ArgumentException("a report needs at least one strategy", nameof(d));
        }

        Matrix(d.PhaseMicros, d.Strategies.Count, d.Phases.Count, nameof(d.PhaseMicros));
        Matrix(d.CategoryMicros, d.Strategies.Count, d.Categories.Count, nameof(d.CategoryMicros));
        if ((d.SweepPages is null) != (d.SweepMicros is null))
        {
            throw new ArgumentException("SweepPages and SweepMicros are given together or not at all", nameof(d));
        }

        if (d.SweepPages is { } pages && d.SweepMicros is { } micros)
        {
            if (pages.Count == 0 || pages.Any(p => p <= 0))
            {
                throw new ArgumentException("SweepPages must hold at least one size, each above 0", nameof(d));
            }

            Matrix(micros, d.Strategies.Count, pages.Count, nameof(d.SweepMicros));
        }
    }

    private static void Matrix(double[][] m, int rows, int cols, string name)
    {
        if (m.Length != rows || m.Any(r => r.Length != cols))
        {
            throw new ArgumentException($"{name} must be {rows} rows (strategies) of {cols} values", name);
        }

        // Stacked bars and a log axis have no place for a negative, infinite or NaN time.
        if (m.Any(r => r.Any(v => !double.IsFinite(v) || v < 0)))
        {
            throw new ArgumentException($"{name} holds a negative or non-finite time", name);
        }
    }

    private static List<ReportPlot> Plots(CostReportData d)
    {
        var strategies = string.Join(", ", d.Strategies);
        List<ReportPlot> plots =
        [
            new(
                "phases.png",
                "Cost breakdown per phase",
                $"Stacked bars: modeled µs of each phase ({string.Join(", ", d.Phases)}) for each strategy ({strategies})",
                CostPlots.StackedBars("Cost breakdown per phase", d.Strategies, d.Phases, d.PhaseMicros, d.TotalBands),
                PartsTable("phase", d.Phases, d.Strategies, d.PhaseMicros)),
            new(
                "categories.png",
                "Where the time goes",
                $"Stacked bars: modeled µs of each cost category ({string.Join(", ", d.Categories)}) for each strategy ({strategies})",
                CostPlots.StackedBars("Where the time goes", d.Strategies, d.Categories, d.CategoryMicros),
                PartsTable("category", d.Categories, d.Strategies, d.CategoryMicros)),
        ];
        if (d.SweepPages is { } pages && d.SweepMicros is { } micros)
        {
            plots.Add(new(
                "sweep.png",
                "Growth with size",
                $"Lines on {(CostPlots.SweepLogY(micros) ? "log-log axes" : "a log size axis")}: modeled µs against process size in pages for each strategy ({strategies})",
                CostPlots.Sweep("Growth with size", d.Strategies, pages, micros),
                SweepTable(pages, d.Strategies, micros)));
        }

        return plots;
    }

    private static string Html(CostReportData d, List<ReportPlot> plots)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<title>").Append(Escape(d.Title)).Append("</title>\n");
        sb.Append("<style>\n").Append(Style).Append("\n</style>\n");
        // In the head, so that an error anywhere in the page is counted.
        sb.Append("<script>\n").Append(CheckScript).Append("\n</script>\n");
        sb.Append("</head>\n<body>\n");
        sb.Append("<h1>").Append(Escape(d.Title)).Append("</h1>\n");
        sb.Append("<dl>\n");
        sb.Append("<dt>command</dt><dd><code>").Append(Escape(d.Command)).Append("</code></dd>\n");
        sb.Append("<dt>seed</dt><dd>").Append(d.Seed.ToString(Inv)).Append("</dd>\n");
        sb.Append("<dt>cost table</dt><dd>").Append(Escape(d.CostTable)).Append("</dd>\n");
        sb.Append("<dt>times</dt><dd>modeled µs: events priced by the cost table, not measured</dd>\n");
        sb.Append("</dl>\n");
        if (d.TableText is { } text)
        {
            sb.Append("<h2>Table</h2>\n<pre>").Append(Escape(text)).Append("</pre>\n");
        }

        foreach (var p in plots)
        {
            sb.Append("<h2>").Append(Escape(p.Heading)).Append("</h2>\n");
            sb.Append(Inv, $"<img src=\"{Escape(p.File)}\" alt=\"{Escape(p.Alt)}\" width=\"{CostPlots.Width}\" height=\"{CostPlots.Height}\">\n");
            sb.Append(p.TableHtml);
        }

        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>A part (phase or category) per row, a strategy per column, and a total row.</summary>
    private static string PartsTable(string partName, IReadOnlyList<string> parts, IReadOnlyList<string> strategies, double[][] micros)
    {
        var sb = new StringBuilder();
        sb.Append("<table>\n<caption>modeled µs</caption>\n");
        HeaderRow(sb, partName, strategies);
        for (var p = 0; p < parts.Count; p++)
        {
            Row(sb, parts[p], strategies.Select((_, s) => micros[s][p]));
        }

        Row(sb, "total", strategies.Select((_, s) => micros[s].Sum()));
        sb.Append("</table>\n");
        return sb.ToString();
    }

    /// <summary>A size per row, a strategy per column.</summary>
    private static string SweepTable(IReadOnlyList<int> pages, IReadOnlyList<string> strategies, double[][] micros)
    {
        var sb = new StringBuilder();
        sb.Append("<table>\n<caption>modeled µs</caption>\n");
        HeaderRow(sb, "pages", strategies);
        for (var i = 0; i < pages.Count; i++)
        {
            Row(sb, pages[i].ToString(Inv), strategies.Select((_, s) => micros[s][i]));
        }

        sb.Append("</table>\n");
        return sb.ToString();
    }

    private static void HeaderRow(StringBuilder sb, string corner, IReadOnlyList<string> strategies)
    {
        sb.Append("<tr><th scope=\"col\">").Append(Escape(corner)).Append("</th>");
        foreach (var s in strategies)
        {
            sb.Append("<th scope=\"col\">").Append(Escape(s)).Append("</th>");
        }

        sb.Append("</tr>\n");
    }

    private static void Row(StringBuilder sb, string name, IEnumerable<double> values)
    {
        sb.Append("<tr><th scope=\"row\">").Append(Escape(name)).Append("</th>");
        foreach (var v in values)
        {
            sb.Append("<td>").Append(v.ToString("F2", Inv)).Append("</td>");
        }

        sb.Append("</tr>\n");
    }

    /// <summary>Escapes text for an element's content or a quoted attribute; everything else is kept as UTF-8.</summary>
    private static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    /// <summary>Writes the files in a temporary sibling of dir, then renames them into place.</summary>
    private static string Place(string dir, List<(string Name, byte[] Bytes)> files)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        var index = Path.Combine(full, IndexFile);
        var parent = Path.GetDirectoryName(full);
        if (parent is null)
        {
            throw new IOException($"cannot write the report to {full}: it needs a directory of its own, not the root");
        }

        if (File.Exists(full))
        {
            throw new IOException($"cannot write the report to {full}: a file of that name is in the way");
        }

        // A sibling is on the same file system, so the renames below are atomic and never copy.
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(temp);
            foreach (var (name, bytes) in files)
            {
                File.WriteAllBytes(Path.Combine(temp, name), bytes);
            }

            if (!Directory.Exists(full))
            {
                try
                {
                    Directory.Move(temp, full);
                    return index;
                }
                catch (IOException) when (Directory.Exists(full))
                {
                    // Created by someone else meanwhile: move the files in one by one as for an existing directory.
                }
            }

            // index.html last, so that it never names a plot that is not in place yet.
            foreach (var (name, _) in files.OrderBy(f => f.Name == IndexFile))
            {
                File.Move(Path.Combine(temp, name), Path.Combine(full, name), overwrite: true);
            }

            Directory.Delete(temp, recursive: true);
            return index;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            var message = $"cannot write the report to {full}: {e.Message}";
            throw e is UnauthorizedAccessException ? new UnauthorizedAccessException(message, e) : new IOException(message, e);
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the error being reported is the one that matters.
        }
    }
}
