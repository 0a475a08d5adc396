namespace PvMmu.Xen.Cpu;

/// <summary>Restores and reused snapshots copy into the arrays they already have, so they allocate nothing.</summary>
internal static class ArrayReuse
{
    /// <summary><paramref name="from"/>'s contents in <paramref name="to"/> when the sizes match; else a clone of it.</summary>
    public static T[] CopyInto<T>(T[] from, T[] to)
    {
        if (from.Length != to.Length)
        {
            return (T[])from.Clone();
        }

        from.CopyTo(to, 0);
        return to;
    }
}
