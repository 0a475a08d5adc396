namespace PvMmu.Scheduling;

/// <summary>What <see cref="RunLoop"/> drives: a model whose vCPUs offer moves, one of which is made at a time.</summary>
public interface ISchedulable
{
    /// <summary>The moves enabled now, in a fixed order; valid until the next move or restore.</summary>
    ReadOnlySpan<Move> Enabled();

    void Apply(Move move);

    /// <summary>Every program has run to its end.</summary>
    bool Done { get; }
}
