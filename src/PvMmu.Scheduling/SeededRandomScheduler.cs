namespace PvMmu.Scheduling;

/// <summary>A uniformly random enabled move, from a seeded xorshift64* generator: the same seed, the same run.</summary>
public sealed class SeededRandomScheduler(ulong seed) : IScheduler
{
    private ulong _state = seed == 0 ? 0x9E37_79B9_7F4A_7C15UL : seed;

    public int Choose(ReadOnlySpan<Move> enabled) => (int)(Next() % (ulong)enabled.Length);

    /// <summary>The generator's next 64-bit output, for schedulers that draw other choices from the same stream.</summary>
    public ulong Next()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545_F491_4F6C_DD1DUL;
    }
}
