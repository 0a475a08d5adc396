using BenchmarkDotNet.Attributes;
using PvMmu.Explore.Visited;

namespace PvMmu.Bench;

/// <summary>
/// The exhaustive search's visited set (<see cref="StateTable"/>) on its own: a million fingerprints claimed as the
/// search claims them (<see cref="StateTable.ClaimSleep"/>), into a table sized for them (the search sizes it from
/// its state cap: one block, on huge pages where the system offers them) and into one that grows from empty; then a
/// million claims of fingerprints already there (a state reached again). One operation is one claim.
/// </summary>
[MemoryDiagnoser]
public class VisitedSetBenchmarks
{
    private const int Keys = 1_000_000;
    private readonly ulong[] _keys = new ulong[Keys];
    private StateTable _table = null!;
    private StateTable _full = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Fingerprints are hashes: any well-mixed 64-bit values stand for them.
        var x = 0x9E37_79B9_7F4A_7C15UL;
        for (var i = 0; i < Keys; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            _keys[i] = x;
        }

        _full = new StateTable(Keys);
        Claim(_full);
    }

    [IterationSetup(Targets = [nameof(ClaimNewPresized)])]
    public void NewPresized() => _table = new StateTable(Keys);

    [IterationSetup(Targets = [nameof(ClaimNewGrowing)])]
    public void NewGrowing() => _table = new StateTable();

    [Benchmark(OperationsPerInvoke = Keys)]
    public ulong ClaimNewPresized() => Claim(_table);

    [Benchmark(OperationsPerInvoke = Keys)]
    public ulong ClaimNewGrowing() => Claim(_table);

    [Benchmark(OperationsPerInvoke = Keys)]
    public ulong ClaimAgain() => Claim(_full);

    private ulong Claim(StateTable t)
    {
        ulong sum = 0;
        foreach (var k in _keys)
        {
            t.Prefetch(k);
            t.ClaimSleep(k, 0b0110, 0b1111, out _, out var explore, out _);
            sum += explore;
        }

        return sum;
    }
}
