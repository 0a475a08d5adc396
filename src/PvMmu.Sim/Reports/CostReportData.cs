namespace PvMmu.Sim.Reports;

/// <summary>
/// What an HTML report shows: modeled time per phase and per cost category for each strategy of a comparison, and,
/// for a sweep, modeled time against process size. Times are modeled microseconds; arrays are [strategy][...].
/// </summary>
public sealed class CostReportData
{
    /// <summary>A heading, e.g. "lat-proc-fork: Linux61 vs NoExitUnpin".</summary>
    public required string Title { get; init; }

    /// <summary>The command line that produced the report, shown so a reader can rerun it.</summary>
    public required string Command { get; init; }

    public required ulong Seed { get; init; }

    /// <summary>The cost table's name (its file, or "built-in").</summary>
    public required string CostTable { get; init; }

    public required IReadOnlyList<string> Strategies { get; init; }

    public required IReadOnlyList<string> Phases { get; init; }

    /// <summary>Modeled µs, [strategy][phase].</summary>
    public required double[][] PhaseMicros { get; init; }

    /// <summary>The band of each strategy's total over the cost table's price intervals, [strategy][low, high] µs; null for none.</summary>
    public double[][]? TotalBands { get; init; }

    /// <summary>Cost categories (the priced events: "ptwr trap", "hypercall entry", ...).</summary>
    public required IReadOnlyList<string> Categories { get; init; }

    /// <summary>Modeled µs, [strategy][category].</summary>
    public required double[][] CategoryMicros { get; init; }

    /// <summary>For a sweep: the process sizes in pages (x axis); null otherwise.</summary>
    public IReadOnlyList<int>? SweepPages { get; init; }

    /// <summary>For a sweep: modeled µs, [strategy][size]; null otherwise.</summary>
    public double[][]? SweepMicros { get; init; }

    /// <summary>The text table the command printed, embedded verbatim.</summary>
    public string? TableText { get; init; }
}
