namespace PvMmu.Scheduling.Tests;

/// <summary>
/// The full-state dump the plain enumerator compares states by: every field reachable counts, private ones and those
/// of objects reached through arrays, lists and other objects alike; only the named bookkeeping fields do not; a
/// shared or cyclic object is written once.
/// </summary>
public sealed class StateBytesTests
{
    private static readonly string[] Bookkeeping = ["Counts", "Hash"];

    [Fact]
    public void EqualStatesGiveEqualBytes()
    {
        Assert.Equal(StateBytes.Of(new Root(), Bookkeeping), StateBytes.Of(new Root(), Bookkeeping));
    }

    /// <summary>Each field of the state, changed alone, changes the bytes; each bookkeeping field, changed alone, does not.</summary>
    [Fact]
    public void EveryStateFieldCountsAndNoBookkeepingFieldDoes()
    {
        var same = StateBytes.Of(new Root(), Bookkeeping);
        var changes = new (string Name, Action<Root> Change, bool IsState)[]
        {
            ("private int", r => r.SetPrivate(8), true),
            ("array element", r => r.Frames[2] = 9, true),
            ("array of objects", r => r.Children[1].Value = 5, true),
            ("list element", r => r.Queue.Add(3), true),
            ("nested object", r => r.Child.Value = 4, true),
            ("enum", r => r.Mode = DayOfWeek.Friday, true),
            ("string", r => r.Name = "b", true),
            ("bool", r => r.Flag = true, true),
            ("tally", r => r.Counts[0]++, false),
            ("cached hash", r => r.PagesHash = 77, false),
            ("its version", r => r.PagesHashGeneration = 3, false),
        };
        foreach (var (name, change, isState) in changes)
        {
            var r = new Root();
            change(r);
            var bytes = StateBytes.Of(r, Bookkeeping);
            Assert.True(isState != bytes.AsSpan().SequenceEqual(same), name);
        }
    }

    /// <summary>An object reached twice is written once, then named; so a cycle ends, and sharing differs from copying.</summary>
    [Fact]
    public void SharedAndCyclicObjectsAreWrittenOnce()
    {
        var shared = new Root();
        shared.Children[1] = shared.Children[0];
        var copied = new Root();
        Assert.NotEqual(StateBytes.Of(shared, Bookkeeping), StateBytes.Of(copied, Bookkeeping));

        var cyclic = new Root();
        cyclic.Child.Back = cyclic;
        Assert.NotEmpty(StateBytes.Of(cyclic, Bookkeeping));
    }

    private sealed class Root
    {
        private int _private = 7;

        public int[] Frames { get; } = [1, 2, 3];

        public Leaf[] Children { get; } = [new Leaf(), new Leaf()];

        public List<int> Queue { get; } = [1, 2];

        public Leaf Child { get; } = new();

        public DayOfWeek Mode { get; set; } = DayOfWeek.Monday;

        public string Name { get; set; } = "a";

        public bool Flag { get; set; }

        public long[] Counts { get; } = [0, 0];

        public ulong PagesHash { get; set; }

        public ulong PagesHashGeneration { get; set; }

        public void SetPrivate(int v) => _private = v;

        public int Private => _private;
    }

    private sealed class Leaf
    {
        public int Value { get; set; } = 1;

        public Root? Back { get; set; }
    }
}
