namespace PvMmu.Xen.Frames;

/// <summary>
/// The contents of frames used as page tables (512 entries each), kept only for frames that have held entries.
/// Pages are shared copy-on-write between a model and its snapshots: a page is written in place only when its
/// generation equals the pool's, otherwise it is cloned first. A snapshot therefore costs one copy of the page
/// index, not of the pages.
/// </summary>
public sealed class PageTablePool
{
    public const int EntriesPerTable = 512;

    private ulong[][] _pages;
    private int[] _pageGen;
    private int _count;
    private int _gen;

    public PageTablePool(int capacity = 64)
    {
        _pages = new ulong[Math.Max(capacity, 4)][];
        _pageGen = new int[_pages.Length];
        _gen = 1;
    }

    /// <summary>How many tables have contents.</summary>
    public int Count => _count;

    /// <summary>Allocates a zeroed page and returns its index.</summary>
    public int Allocate()
    {
        if (_count == _pages.Length)
        {
            Array.Resize(ref _pages, _pages.Length * 2);
            Array.Resize(ref _pageGen, _pages.Length);
        }

        _pages[_count] = new ulong[EntriesPerTable];
        _pageGen[_count] = _gen;
        return _count++;
    }

    /// <summary>Reads one entry.</summary>
    public ulong Read(int page, int slot) => _pages[page][slot];

    /// <summary>A read-only view of a whole page.</summary>
    public ReadOnlySpan<ulong> View(int page) => _pages[page];

    /// <summary>Writes one entry, cloning the page first when a snapshot shares it.</summary>
    public void Write(int page, int slot, ulong value) => Writable(page)[slot] = value;

    /// <summary>The page as a writable array, cloned first when a snapshot shares it.</summary>
    public ulong[] Writable(int page)
    {
        var p = _pages[page];
        if (_pageGen[page] != _gen)
        {
            p = (ulong[])p.Clone();
            _pages[page] = p;
            _pageGen[page] = _gen;
        }

        return p;
    }

    /// <summary>Captures the pool. Both sides clone a page before their next write to it.</summary>
    public PageTablePool Snapshot()
    {
        var copy = new PageTablePool(0)
        {
            _pages = (ulong[][])_pages.Clone(),
            _pageGen = (int[])_pageGen.Clone(),
            _count = _count,
            _gen = _gen + 1,
        };
        _gen = copy._gen + 1;
        return copy;
    }

    /// <summary>Makes this pool equal to <paramref name="source"/>, sharing its pages copy-on-write.</summary>
    public void RestoreFrom(PageTablePool source)
    {
        if (_pages.Length < source._pages.Length)
        {
            _pages = new ulong[source._pages.Length][];
            _pageGen = new int[source._pages.Length];
        }

        Array.Copy(source._pages, _pages, source._count);
        Array.Copy(source._pageGen, _pageGen, source._count);
        Array.Clear(_pages, source._count, _pages.Length - source._count);
        _count = source._count;
        _gen = Math.Max(_gen, source._gen) + 1;
    }
}
