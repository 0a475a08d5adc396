namespace PvMmu.Xen.Frames;

/// <summary>
/// The page-table pages of one hypervisor and of every snapshot taken of it, by handle, each with a count of the
/// pools (the live one and the snapshots') whose index holds it. A page held by one pool only is written in place;
/// a shared one is copied first (<see cref="PageTablePool.Writable"/>). A page no pool holds any more goes on a free
/// list and is handed out again, zeroed or overwritten, so that a search saving and restoring the pool at every
/// state stops allocating pages once it has as many as its deepest path holds (an allocation per copy had cost a
/// page of zeroed memory every few dozen states, and the collector's work to reclaim it).
/// <para>
/// The hash and present-slot caches live here, with the page they describe: a page held by a snapshot is never
/// written, so its caches stay true through snapshots and restores. A snapshot dropped without being overwritten
/// lets go of its pages when the collector finalizes it (<see cref="ReleaseLater"/>).
/// Not thread-safe but for that: a hypervisor and its snapshots are used by one thread at a time.
/// </para>
/// </summary>
internal sealed class PageStore
{
    /// <summary>No cached hash: computed at the next <see cref="PageTablePool.PageHash"/>.</summary>
    public const ulong NoHash = 0;

    private int[] _free = new int[16];
    private int _freeCount;

    /// <summary>The entries of each page, by handle.</summary>
    public ulong[][] Pages = new ulong[64][];

    /// <summary>How many pools hold each page.</summary>
    public int[] Holders = new int[64];

    /// <summary>The cached hash of each page (<see cref="NoHash"/>: none).</summary>
    public ulong[] Hash = new ulong[64];

    /// <summary>The cached present slots of each page (null: none).</summary>
    public short[]?[] Present = new short[64][];

    private int _count;

    /// <summary>How many pages the store has made (held or free).</summary>
    public int Count => _count;

    /// <summary>Pages that snapshots the collector finalized held, to be let go of by the thread that uses the store.</summary>
    private readonly List<int> _dropped = [];
    private volatile bool _anyDropped;

    /// <summary>
    /// From a finalizer (another thread): the first <paramref name="count"/> pages of <paramref name="handles"/> are
    /// held by a pool no one can reach any more; they are let go of at the store's next <see cref="Take"/>.
    /// </summary>
    public void ReleaseLater(int[] handles, int count)
    {
        lock (_dropped)
        {
            _dropped.AddRange(handles.AsSpan(0, count));
            _anyDropped = true;
        }
    }

    /// <summary>A page no pool holds, one holder now, its caches dropped; its entries are whatever it held last.</summary>
    public int Take()
    {
        if (_anyDropped)
        {
            ReleaseDropped();
        }

        int h;
        if (_freeCount > 0)
        {
            h = _free[--_freeCount];
        }
        else
        {
            if (_count == Pages.Length)
            {
                var n = Pages.Length * 2;
                Array.Resize(ref Pages, n);
                Array.Resize(ref Holders, n);
                Array.Resize(ref Hash, n);
                Array.Resize(ref Present, n);
            }

            h = _count++;
            Pages[h] = new ulong[PageTablePool.EntriesPerTable];
        }

        Holders[h] = 1;
        Hash[h] = NoHash;
        Present[h] = null;
        return h;
    }

    private void ReleaseDropped()
    {
        lock (_dropped)
        {
            foreach (var h in _dropped)
            {
                Release(h);
            }

            _dropped.Clear();
            _anyDropped = false;
        }
    }

    /// <summary>One more pool holds page <paramref name="h"/>.</summary>
    public void Hold(int h) => Holders[h]++;

    /// <summary>One pool fewer holds page <paramref name="h"/>; the last to let go frees it.</summary>
    public void Release(int h)
    {
        if (--Holders[h] == 0)
        {
            if (_freeCount == _free.Length)
            {
                Array.Resize(ref _free, _free.Length * 2);
            }

            _free[_freeCount++] = h;
        }
    }
}
