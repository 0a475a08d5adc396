using CsCheck;
using PvMmu.Explore;

namespace PvMmu.Xen.Tests.Properties;

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

    [Fact]
    public void AShardAnswersAsADictionary() =>
        Ops.Sample(ops =>
        {
            var shard = new StateShard();
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
            Assert.True(keys.SetEquals(model.Keys));
        });

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
