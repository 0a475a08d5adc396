using PvMmu.Linux.Sched;

namespace PvMmu.Explore.Tests.Enumeration;

/// <summary>
/// The plainest search there is, for the exact state counts tests hold the explorer to: every enabled move from
/// every state, depth first, each state compared in full with every one seen (<see cref="StateDump"/>), no
/// fingerprint, no sleep set, no threads, no state cap. Shares nothing with the explorer but the model it walks.
/// </summary>
internal static class PlainEnumerator
{
    /// <summary>How many distinct states a scenario's machine reaches from its start.</summary>
    public static int DistinctStates(Func<Machine> build, int limit = 2_000_000)
    {
        var m = build();
        var seen = new HashSet<byte[]>(ByteArrayComparer.Instance);
        var stack = new Stack<MachineSnapshot>();
        var start = m.Snapshot();
        seen.Add(StateDump.Of(start));
        stack.Push(start);
        while (stack.Count > 0)
        {
            var s = stack.Pop();
            m.Restore(s);
            var moves = m.Enabled().ToArray();
            foreach (var c in moves)
            {
                m.Restore(s);
                m.Apply(c);
                var next = m.Snapshot();
                if (seen.Add(StateDump.Of(next)))
                {
                    if (seen.Count > limit)
                    {
                        throw new InvalidOperationException($"more than {limit} states: too big for the plain enumerator");
                    }

                    stack.Push(next);
                }
            }
        }

        return seen.Count;
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var h = new HashCode();
            h.AddBytes(obj);
            return h.ToHashCode();
        }
    }
}
