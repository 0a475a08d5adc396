using CsCheck;
using PvMmu.Explore.Visited;

namespace PvMmu.Explore.Tests.Visited;

/// <summary>
/// The compact visited set (<see cref="SleepTable"/>: fingerprint and sleep set in 8 bytes) keeps every fingerprint
/// whole and over-approximates the sleep sets only in the direction that keeps the search sound: checked against a
/// dictionary holding the exact sleep sets, as <see cref="StateTable.ClaimSleep"/> stores them.
/// </summary>
public sealed class SleepTableProperties
{
    /// <summary>
    /// Keys from a small pool, so that they come back, spread over the shards, with low bits that often collide and
    /// some whose 58 stored bits are all zero; sleep and enabled sets over up to 16 vCPUs' moves.
    /// </summary>
    private static readonly Gen<(int Key, ulong Sleep, ulong Enabled)[]> Claims =
        Gen.Select(Gen.Int[0, 400], Gen.ULong, Gen.ULong).Array[1, 3000];

    private static ulong Key(int k) => ((ulong)(k % 64) << 58) | (k % 5 == 0 ? 0 : ((ulong)k << 30) | (uint)(k % 3));

    [Trait("Category", "Slow")]
    [Fact]
    public void ItKeepsEveryKeyAndExploresAtLeastWhatExactSleepSetsWould() =>
        Claims.Sample(claims =>
        {
            var table = new SleepTable();
            var exact = new Dictionary<ulong, ulong>();
            var enabledOf = new Dictionary<ulong, ulong>();
            foreach (var (k, sleep0, enabled0) in claims)
            {
                var key = Key(k);

                // A state has the same enabled moves whenever it is reached.
                var enabled = enabledOf.TryGetValue(key, out var e) ? e : enabledOf[key] = enabled0;
                var sleep = sleep0 & enabled;
                table.ClaimSleep(key, sleep0, enabled, out var isNew, out var explore, out var working);
                Assert.Equal(!exact.ContainsKey(key), isNew);
                ulong exactExplore;
                if (isNew)
                {
                    exactExplore = enabled & ~sleep;
                    exact[key] = sleep;
                }
                else
                {
                    var stored = exact[key];
                    exactExplore = stored & ~sleep;
                    if (exactExplore != 0)
                    {
                        exact[key] = stored & sleep;
                    }
                }

                // Never less explored than with exact sets, never a move outside the enabled ones, and the sleep set
                // below a subset of the one this visit came with.
                Assert.Equal(exactExplore, explore & exactExplore);
                Assert.Equal(0UL, explore & ~enabled);
                Assert.Equal(0UL, working & ~sleep);
                Assert.Equal(0UL, explore & working);
            }

            Assert.Equal(exact.Count, table.Count);
            Assert.True(table.Keys().SetEquals(exact.Keys));
        });

    /// <summary>
    /// The prefetch reads each shard's slots and capacity from a copy that only a growth writes: after every growth,
    /// through the presized jump and into the arenas, the copy is the shard's own.
    /// </summary>
    [Fact]
    public void ThePrefetchesViewOfEveryShardFollowsItsGrowth()
    {
        var table = new SleepTable(expectedKeys: 600_000);
        var rng = new Random(7);
        var grown = 0;
        for (var n = 0; n < 400_000; n++)
        {
            var key = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 63);
            var shard = (int)(key >> (64 - SleepTable.ShardBits));
            var before = table.ShardCapacity(shard);
            table.ClaimSleep(key, 0, 1, out _, out _, out _);
            grown += table.ShardCapacity(shard) != before ? 1 : 0;
            Assert.True(table.ViewIsCurrent(shard));
        }

        // Every shard grew at least twice (64 slots, then by half, then to the presized size): the copies were rewritten.
        Assert.True(grown >= 2 * 256, $"only {grown} growths");
        for (var i = 0; i < 256; i++)
        {
            Assert.True(table.ViewIsCurrent(i));
        }
    }

    /// <summary>Read back, a stored sleep set holds every move it was given: the over-approximation only adds.</summary>
    [Fact]
    public void AStoredSleepSetReadsBackAsASuperset() =>
        Gen.ULong.Sample(z =>
        {
            var bits = SleepTable.Encode(z);
            Assert.True(bits <= SleepTable.MaxValue);
            Assert.Equal(z, SleepTable.Decode(bits) & z);
        });

    /// <summary>Three quarters full at most, grown by half: never more than 16 bytes a key once past the first slots.</summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void AGrowingTableHoldsAtMostSixteenBytesAKey()
    {
        var t = new SleepTable();
        var rng = new Random(7);
        for (var n = 1; n <= 400_000; n++)
        {
            t.Add((ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 63));
            if (n % 50_000 == 0)
            {
                Assert.True(t.Bytes <= 16 * t.Count, $"{t.Bytes} bytes for {t.Count} keys");
            }
        }
    }

    /// <summary>
    /// Past <see cref="SleepTable.ArenaFrom"/> slots the shards move from arena to arena (<see cref="SlotArena"/>):
    /// every key and its stored sleep set survive each move, and an arena every shard has left is unmapped. Sized so
    /// that every shard passes three arena capacities (8,708, 13,062 and 19,593 slots, by the growth rule from a table
    /// expecting 1.5 M keys) and ends in the last.
    /// </summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void ShardsMovingFromArenaToArenaKeepEveryKeyAndFreeTheArenasLeft()
    {
        var t = new SleepTable(1_500_000);
        Assert.Equal(8708, t.PresizedSlots);
        var rng = new Random(11);
        var keys = new HashSet<ulong>();
        while (keys.Count < 256 * 11_000)
        {
            var key = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 63);
            if (keys.Add(key))
            {
                // Four vCPUs' moves enabled and vCPU (key mod 4)'s IPI asleep: a sleep set the encoding keeps exactly.
                t.ClaimSleep(key, 1UL << (4 * (int)(key % 4)), 0xFFFF, out var isNew, out _, out _);
                Assert.True(isNew);
            }
        }

        Assert.Equal(keys.Count, t.Count);
        Assert.True(t.Keys().SetEquals(keys));
        for (var shard = 0; shard < 256; shard++)
        {
            Assert.Equal(19_593, t.ShardCapacity(shard));
        }

        Assert.Equal(1, t.Arenas);
        foreach (var key in keys.Take(10_000))
        {
            // Reached again with nothing asleep: the stored set (only that IPI) is what is left to explore.
            t.ClaimSleep(key, 0, 0xFFFF, out var isNew, out var explore, out _);
            Assert.False(isNew);
            Assert.Equal(1UL << (4 * (int)(key % 4)), explore);
        }
    }
}
