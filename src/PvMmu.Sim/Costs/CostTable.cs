using System.Globalization;
using System.Reflection;
using System.Text;
using PvMmu.Events;
using PvMmu.Sim.Inputs;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace PvMmu.Sim.Costs;

/// <summary>
/// A named, replaceable price list: modeled nanoseconds per priced event (<see cref="EventKinds.Priced"/>; every
/// other event costs nothing). Read from TOML
/// (<c>--cost FILE</c>): a top-level <c>name</c> and a <c>[prices_ns]</c> table of <c>event = number</c>. A price the
/// file leaves out keeps the built-in table's value. The built-in table is src/PvMmu.Sim/Costs/default.toml,
/// fitted to Xen commit 8a181133e2's lmbench deltas (docs/performance.md).
/// </summary>
public sealed class CostTable
{
    private static readonly Lazy<CostTable> BuiltIn = new(() => LoadResource("default.toml"));
    private static readonly Lazy<CostTable> PriorTable = new(() => LoadResource("priors.toml"));

    private readonly double[] _ns;

    private CostTable(string name, string source, double[] ns, IReadOnlyList<PriceInterval>? intervals = null)
    {
        Name = name;
        Source = source;
        _ns = ns;
        Intervals = intervals ?? [];
    }

    /// <summary>
    /// The prices known only within a range (the <c>[intervals_ns]</c> table: the fit's free prices), in event order;
    /// every modeled time's band is priced over them (<see cref="PriceBand"/>).
    /// </summary>
    public IReadOnlyList<PriceInterval> Intervals { get; }

    /// <summary>The built-in table (default.toml, embedded): the calibrated one.</summary>
    public static CostTable Default => BuiltIn.Value;

    /// <summary>The priors the calibration starts from (priors.toml, embedded).</summary>
    public static CostTable Priors => PriorTable.Value;

    public string Name { get; }

    /// <summary>Where it came from: a file path, or "built-in".</summary>
    public string Source { get; }

    public double this[EventKind e] => _ns[(int)e];

    /// <summary>The TOML key of an event's price (hypercall_entry, ...).</summary>
    public static string Key(EventKind e) => EventKinds.PriceKey(e);

    /// <summary>A copy with some prices replaced (for the fit and for what-if tables).</summary>
    public CostTable With(string name, IReadOnlyDictionary<EventKind, double> prices)
    {
        var ns = (double[])_ns.Clone();
        foreach (var (e, v) in prices)
        {
            ns[(int)e] = v;
        }

        return new CostTable(name, "derived", ns, [.. Intervals.Where(i => !prices.ContainsKey(i.Event))]);
    }

    /// <summary>Reads a cost table file; a malformed one throws <see cref="CostTableException"/> with file:line:column.</summary>
    public static CostTable Load(string path)
    {
        string text;
        try
        {
            text = InputFile.ReadText(path);
        }
        catch (InputFileException e)
        {
            throw new CostTableException(path, Math.Max(e.Line, 1), 1, e.Reason);
        }

        return Parse(text, path, Default._ns, Default.Intervals);
    }

    /// <summary>Parses TOML text; prices it leaves out come from <paramref name="inherit"/> (all required when null).</summary>
    public static CostTable Parse(string text, string file, double[]? inherit, IReadOnlyList<PriceInterval>? inheritIntervals = null)
    {
        try
        {
            return ParseToml(text, file, inherit, inheritIntervals);
        }
        catch (ArgumentException e)
        {
            // Tomlyn throws on some malformed escapes (a \U of a surrogate) instead of reporting a diagnostic.
            throw new CostTableException(file, 1, 1, "not valid TOML: " + Inputs.Quote.Cut(e.Message));
        }
    }

    private static CostTable ParseToml(string text, string file, double[]? inherit, IReadOnlyList<PriceInterval>? inheritIntervals)
    {
        DocumentSyntax doc;
        try
        {
            doc = SyntaxParser.Parse(text, file, validate: true);
        }
        catch (Tomlyn.TomlException e)
        {
            // Tomlyn reports most problems as diagnostics but throws on some (nesting past its depth limit of 64).
            throw new CostTableException(file, 1, 1, "not valid TOML: " + Inputs.Quote.Cut(e.Message));
        }

        foreach (var d in doc.Diagnostics)
        {
            if (d.Kind == DiagnosticMessageKind.Error)
            {
                throw new CostTableException(file, d.Span.Start.Line + 1, d.Span.Start.Column + 1, "not valid TOML: " + Inputs.Quote.Cut(d.Message));
            }
        }

        string? name = null;
        foreach (var kv in doc.KeyValues)
        {
            var (line, col) = Where(kv);
            var key = kv.Key?.ToString().Trim() ?? string.Empty;
            if (key != "name")
            {
                throw new CostTableException(file, line, col, $"unknown key '{key}' at the top level; expected 'name' and a [prices_ns] table");
            }

            if (kv.Value is not StringValueSyntax s || string.IsNullOrWhiteSpace(s.Value))
            {
                throw new CostTableException(file, line, col, "'name' must be a non-empty string");
            }

            name = s.Value;
        }

        var ns = inherit is null ? new double[EventKinds.Count] : (double[])inherit.Clone();
        var given = new bool[EventKinds.Count];
        var keys = EventKinds.Priced.ToDictionary(Key);
        var intervalTables = new List<TableSyntaxBase>();
        foreach (var table in doc.Tables)
        {
            var (tl, tc) = Where(table);
            var tname = table.Name?.ToString().Trim() ?? string.Empty;
            if (table is TableSyntax && tname == "intervals_ns")
            {
                intervalTables.Add(table);
                continue;
            }

            if (table is not TableSyntax || tname != "prices_ns")
            {
                throw new CostTableException(file, tl, tc, $"unknown table '{tname}'; expected [prices_ns] or [intervals_ns]");
            }

            foreach (var item in table.Items)
            {
                if (item is not KeyValueSyntax kv)
                {
                    continue;
                }

                var (line, col) = Where(kv);
                var key = kv.Key?.ToString().Trim() ?? string.Empty;
                if (!keys.TryGetValue(key, out var e))
                {
                    throw new CostTableException(file, line, col, $"unknown price '{key}'; expected one of: {string.Join(", ", keys.Keys)}");
                }

                double v = kv.Value switch
                {
                    IntegerValueSyntax i => i.Value,
                    FloatValueSyntax f => f.Value,
                    _ => double.NaN,
                };
                if (!double.IsFinite(v) || v < 0 || v > MaxPriceNs)
                {
                    throw new CostTableException(file, line, col, $"price '{key}' must be a finite number of nanoseconds from 0 to {MaxPriceNs:0} (one second), got {Inputs.Quote.Cut(kv.Value?.ToString()?.Trim() ?? string.Empty)}");
                }

                ns[(int)e] = v;
                given[(int)e] = true;
            }
        }

        if (inherit is null)
        {
            var missing = EventKinds.Priced.Where(e => !given[(int)e]).Select(Key).ToList();
            if (missing.Count > 0)
            {
                throw new CostTableException(file, 1, 1, "missing prices: " + string.Join(", ", missing));
            }
        }

        var intervals = new SortedDictionary<EventKind, PriceInterval>();
        foreach (var i in inheritIntervals ?? [])
        {
            if (!given[(int)i.Event])
            {
                intervals[i.Event] = i;
            }
        }

        foreach (var table in intervalTables)
        {
            foreach (var item in table.Items)
            {
                if (item is not KeyValueSyntax kv)
                {
                    continue;
                }

                var (line, col) = Where(kv);
                var key = kv.Key?.ToString().Trim() ?? string.Empty;
                if (!keys.TryGetValue(key, out var e))
                {
                    throw new CostTableException(file, line, col, $"unknown price '{key}'; expected one of: {string.Join(", ", keys.Keys)}");
                }

                var ends = kv.Value is ArraySyntax a ? a.Items.Select(x => x.Value switch { IntegerValueSyntax i => i.Value, FloatValueSyntax f => f.Value, _ => double.NaN }).ToArray() : [];
                if (ends.Length != 2 || !ends.All(double.IsFinite) || ends[0] < 0 || ends[0] > ns[(int)e] || ends[1] < ns[(int)e] || ends[1] > MaxPriceNs)
                {
                    throw new CostTableException(file, line, col, $"interval '{key}' must be [low, high] in ns with low <= its price ({ns[(int)e]:0.###}) <= high <= {MaxPriceNs:0}");
                }

                intervals[e] = new PriceInterval(e, ends[0], ends[1]);
            }
        }

        if (intervals.Count > MaxIntervals)
        {
            throw new CostTableException(file, 1, 1, $"{intervals.Count} intervals; a table may give at most {MaxIntervals} (a band prices every corner of them)");
        }

        return new CostTable(name ?? Path.GetFileNameWithoutExtension(file), inherit is null ? "built-in" : file, ns, [.. intervals.Values]);
    }

    /// <summary>The most prices a table may give intervals for: a band prices all 2^k corners of them.</summary>
    public const int MaxIntervals = 8;

    private static (int Line, int Column) Where(SyntaxNodeBase n) => (n.Span.Start.Line + 1, n.Span.Start.Column + 1);

    private static CostTable LoadResource(string file)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("PvMmu.Sim.Costs." + file)
            ?? throw new InvalidOperationException($"the built-in cost table {file} is not embedded");
        using var r = new StreamReader(s);
        return Parse(r.ReadToEnd(), file, null);
    }

    /// <summary>The prices as an array indexed by <see cref="EventKind"/> (a copy).</summary>
    public double[] ToArray() => (double[])_ns.Clone();

    /// <summary>A table from prices indexed by <see cref="EventKind"/>.</summary>
    public static CostTable FromArray(string name, double[] ns, IReadOnlyList<PriceInterval>? intervals = null) => new(name, "derived", (double[])ns.Clone(), intervals);

    /// <summary>The table as TOML, every price on its own line (what <c>pvmmu costs</c> prints).</summary>
    /// <summary>
    /// The dearest price a table may give one event: a second. Far above any real cost (the dearest, a remote flush
    /// of every vCPU, is microseconds), it keeps every sum of counts × prices finite and every price printable.
    /// </summary>
    public const double MaxPriceNs = 1e9;

    public string ToToml()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"name = \"{Name}\"\n\n[prices_ns]\n");
        foreach (var e in EventKinds.Priced)
        {
            sb.Append(inv, $"{Key(e)} = {this[e]:0.###}\n");
        }

        if (Intervals.Count > 0)
        {
            sb.Append("\n[intervals_ns]\n");
            foreach (var i in Intervals)
            {
                sb.Append(inv, $"{Key(i.Event)} = [{i.LowNs:0.###}, {i.HighNs:0.###}]\n");
            }
        }

        return sb.ToString();
    }
}
