using CsCheck;
using PvMmu.Explore.Visited;

namespace PvMmu.Explore.Tests.Visited;

/// <summary>
/// The exhaustive search's visited set (<see cref="StateShard"/>'s open addressing) answers as a dictionary would,
/// through growth, colliding low bits and the key 0 it keeps aside.
/// </summary>
public sealed class StateTableProperties
{
    /// <summary>Keys from a small pool, so that the same key comes back, with low bits that often collide.</summary>
    private static readonly Gen<(int Key, ulong Value, bool Write)[]> Ops =
        Gen.Select(Gen.Int[0, 600], Gen.ULong, Gen.Bool).Array[1, 2000];

    private static ulong Key(int k) => k == 0 ? 0 : ((ulong)k << 40) | (uint)(k % 7);

    [Trait("Category", "Slow")]
    [Fact]
    public void AShardAnswersAsADictionary() =>
        Ops.Sample(ops =>
        {
            var shard = StateShard.Create();
            var model = new Dictionary<ulong, ulong>();
            foreach (var (k, value, write) in ops)
            {
                var key = Key(k);
                if (write)
                {
                    ref var v = ref shard.GetValueRefOrAdd(key, out var existed);
                    Assert.Equal(model.ContainsKey(key), existed);
                    Assert.Equal(existed ? model[key] : 0, v);
                    v = value;
                    model[key] = value;
                }
                else
                {
                    Assert.Equal(model.TryGetValue(key, out var expected), shard.TryGetValue(key, out var got));
                    Assert.Equal(expected, got);
                }

                Assert.Equal(model.Count, shard.Count);
            }

            var keys = new HashSet<ulong>();
            shard.CopyKeysTo(keys);
            shard.Free();
            Assert.True(keys.SetEquals(model.Keys));
        });

    /// <summary>
    /// A table sized for some keys: its shards move into the presized block once past a few thousand slots, keep every
    /// key and value through the move, and grow on their own again past what the block holds.
    /// </summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void APresizedTableKeepsEveryKeyThroughItsMoves()
    {
        var t = new StateTable(expectedKeys: 200_000);
        var model = new Dictionary<ulong, int>();
        var rng = new Random(7);
        void Insert(int n)
        {
            for (var i = 0; i < n; i++)
            {
                var key = ((ulong)rng.NextInt64() << 1) ^ (ulong)rng.Next(2) ^ ((ulong)rng.Next(2) << 63);
                var used = rng.Next(100);
                Assert.Equal(!model.ContainsKey(key) || used < model[key], t.ClaimBudget(key, used));
                model[key] = model.TryGetValue(key, out var was) ? Math.Min(was, used) : used;
            }
        }

        Insert(50_000);
        Assert.All(Enumerable.Range(0, 64), i => Assert.True(t.ShardCapacity(i) < StateTable.PresizedFrom));
        Insert(100_000);

        // 200,000 keys over 64 shards, at most half full, with room for how they fall: 8,192 slots each.
        Assert.All(Enumerable.Range(0, 64), i => Assert.Equal(8192, t.ShardCapacity(i)));
        Insert(250_000);
        Assert.All(Enumerable.Range(0, 64), i => Assert.Equal(16384, t.ShardCapacity(i)));
        Assert.Equal(model.Count, t.Count);
        Assert.True(t.Keys().SetEquals(model.Keys));
        Assert.All(model, kv => Assert.True(t.HasBudget(kv.Key, kv.Value)));
    }

    /// <summary>
    /// Threads adding overlapping keys at once, through growth and the move into the presized block: every key is
    /// there once, and exactly one thread was told it added it.
    /// </summary>
    [Theory]
    [InlineData(2_000_000, 64L << 20)]
    [InlineData(4_000_000, 128L << 20)]
    [InlineData(10_000_000, 128L << 20)]
    [InlineData(4_294_967_296, 128L << 20)]
    public void ThePresizedBlockHoldsItsKeysAtMostHalfFullAndStopsAt128MiB(long maxStates, long bytes)
    {
        var table = new StateTable(maxStates);
        Assert.Equal(bytes, table.BlockBytes);

        // Up to 4 M keys, a shard's even share of them fills its part of the block at most half.
        var share = Math.Min(maxStates, 4_000_000) / 64;
        Assert.True(2 * share <= table.PresizedSlots, $"{share} keys a shard in {table.PresizedSlots} slots");
    }

    [Fact]
    public void ThreadsAddingAtOnceAddEachKeyOnce()
    {
        const int Threads = 4, PerThread = 60_000;
        var t = new StateTable(expectedKeys: 100_000);
        var added = new int[Threads];
        var workers = new Thread[Threads];
        for (var w = 0; w < Threads; w++)
        {
            var me = w;
            workers[w] = new Thread(() =>
            {
                // Thread w adds keys w * PerThread / 2 onwards: each key is added by two threads.
                for (var i = 0; i < PerThread; i++)
                {
                    var k = (ulong)((me * PerThread / 2) + i + 1);
                    added[me] += t.Add(k * 0x9E37_79B9_7F4A_7C15UL) ? 1 : 0;
                }
            });
            workers[w].Start();
        }

        foreach (var w in workers)
        {
            w.Join();
        }

        var distinct = ((Threads + 1) * PerThread / 2);
        Assert.Equal(distinct, added.Sum());
        Assert.Equal(distinct, t.Count);
        Assert.Equal(distinct, t.Keys().Count);
    }

    /// <summary>Sleep sets stored and narrowed: a state met again explores only the moves asleep before and awake now.</summary>
    [Fact]
    public void ClaimSleepNarrowsTheStoredSet()
    {
        var t = new StateTable();
        t.ClaimSleep(42, sleep: 0b0110, enabled: 0b1111, out var isNew, out var explore, out var working);
        Assert.Equal((true, 0b1001UL, 0b0110UL), (isNew, explore, working));
        t.ClaimSleep(42, sleep: 0b0100, enabled: 0b1111, out isNew, out explore, out working);
        Assert.Equal((false, 0b0010UL, 0b0100UL), (isNew, explore, working));
        t.ClaimSleep(42, sleep: 0b0000, enabled: 0b1111, out isNew, out explore, out working);
        Assert.Equal((false, 0b0100UL, 0UL), (isNew, explore, working));
        t.ClaimSleep(42, sleep: 0b0000, enabled: 0b1111, out isNew, out explore, out _);
        Assert.Equal((false, 0UL), (isNew, explore));
        Assert.Equal(1, t.Count);
    }
}
