using System.IO.Hashing;
using System.Runtime.InteropServices;
using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Frames;

/// <summary>
/// The contents of frames used as page tables (512 entries each), kept only for frames that have held entries.
/// Pages are shared copy-on-write between a model and its snapshots: a page is written in place only when its
/// generation equals the pool's, otherwise it is cloned first. A snapshot therefore costs one copy of the page
/// index, not of the pages.
/// <para>
/// Each page also carries two caches derived from its contents alone, kept beside it in the index and dropped by
/// every write to it (<see cref="Writable"/>): its 64-bit hash (<see cref="PageHash"/>, for the fingerprint) and the
/// slots of its present entries (<see cref="PresentSlots"/>, for the invariant recount). A page a snapshot shares is
/// never written in place, so its caches travel with it through snapshots and restores and stay true.
/// </para>
/// </summary>
public sealed class PageTablePool
{
    public const int EntriesPerTable = 512;

    /// <summary>The <see cref="PageHash"/> of a page whose entries are all zero (such a page counts as no page).</summary>
    public const ulong ZeroPageHash = 1;

    private const ulong NoHash = 0;

    private ulong[][] _pages;
    private int[] _pageGen;
    private ulong[] _hash;
    private short[]?[] _present;
    private int _count;
    private int _gen;

    public PageTablePool(int capacity = 64)
    {
        _pages = new ulong[Math.Max(capacity, 4)][];
        _pageGen = new int[_pages.Length];
        _hash = new ulong[_pages.Length];
        _present = new short[_pages.Length][];
        _gen = 1;
    }

    private PageTablePool(PageTablePool source)
    {
        _pages = source._pages;
        _pageGen = source._pageGen;
        _hash = source._hash;
        _present = source._present;
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
            Array.Resize(ref _hash, _pages.Length);
            Array.Resize(ref _present, _pages.Length);
        }

        _pages[_count] = new ulong[EntriesPerTable];
        _pageGen[_count] = _gen;
        _hash[_count] = ZeroPageHash;
        _present[_count] = [];
        return _count++;
    }

    /// <summary>Reads one entry.</summary>
    public ulong Read(int page, int slot) => _pages[page][slot];

    /// <summary>A read-only view of a whole page.</summary>
    public ReadOnlySpan<ulong> View(int page) => _pages[page];

    /// <summary>Writes one entry, cloning the page first when a snapshot shares it.</summary>
    public void Write(int page, int slot, ulong value) => Writable(page)[slot] = value;

    /// <summary>
    /// The page as a writable array, cloned first when a snapshot shares it. Its cached hash and present slots are
    /// dropped now, so the caller must finish writing before the next <see cref="PageHash"/> or <see cref="PresentSlots"/>.
    /// </summary>
    public ulong[] Writable(int page)
    {
        var p = _pages[page];
        if (_pageGen[page] != _gen)
        {
            p = (ulong[])p.Clone();
            _pages[page] = p;
            _pageGen[page] = _gen;
        }

        _hash[page] = NoHash;
        _present[page] = null;
        return p;
    }

    /// <summary>
    /// XxHash3 of the page's 512 entries, or <see cref="ZeroPageHash"/> when they are all zero; computed once per
    /// version of the page. A function of the contents only, whatever path wrote them.
    /// </summary>
    public ulong PageHash(int page)
    {
        var h = _hash[page];
        if (h == NoHash)
        {
            h = ComputeHash(_pages[page]);
            _hash[page] = h;
        }

        return h;
    }

    /// <summary>What <see cref="PageHash"/> caches, computed from scratch.</summary>
    public static ulong ComputeHash(ReadOnlySpan<ulong> page)
    {
        if (!page.ContainsAnyExcept(0UL))
        {
            return ZeroPageHash;
        }

        var h = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(page));
        return h is NoHash or ZeroPageHash ? h + 2 : h;
    }

    /// <summary>The slots whose entry has _PAGE_PRESENT, ascending; computed once per version of the page.</summary>
    public ReadOnlySpan<short> PresentSlots(int page)
    {
        var s = _present[page];
        if (s == null)
        {
            s = ComputePresentSlots(_pages[page]);
            _present[page] = s;
        }

        return s;
    }

    private static short[] ComputePresentSlots(ulong[] page)
    {
        Span<short> slots = stackalloc short[EntriesPerTable];
        var n = 0;
        for (var i = 0; i < page.Length; i++)
        {
            if ((page[i] & PageFlags.Present) != 0)
            {
                slots[n++] = (short)i;
            }
        }

        return n == 0 ? [] : slots[..n].ToArray();
    }

    /// <summary>Captures the pool. Both sides clone a page before their next write to it.</summary>
    public PageTablePool Snapshot()
    {
        var copy = new PageTablePool(this)
        {
            _pages = (ulong[][])_pages.Clone(),
            _pageGen = (int[])_pageGen.Clone(),
            _hash = (ulong[])_hash.Clone(),
            _present = (short[]?[])_present.Clone(),
            _count = _count,
            _gen = _gen + 1,
        };
        _gen = copy._gen + 1;
        return copy;
    }

    /// <summary>
    /// <see cref="Snapshot"/> into <paramref name="reuse"/> (a snapshot no longer needed, or null): only its page index
    /// is overwritten, never a page, so whoever else shares those pages keeps them; both sides still clone a page
    /// before their next write to it, exactly as after <see cref="Snapshot"/>.
    /// </summary>
    public PageTablePool SnapshotInto(PageTablePool? reuse)
    {
        if (reuse == null || reuse == this)
        {
            return Snapshot();
        }

        if (reuse._pages.Length != _pages.Length)
        {
            reuse._pages = new ulong[_pages.Length][];
            reuse._pageGen = new int[_pages.Length];
            reuse._hash = new ulong[_pages.Length];
            reuse._present = new short[_pages.Length][];
        }
        else if (reuse._count > _count)
        {
            // Drops the references above the count, so pages no longer in use can be collected.
            Array.Clear(reuse._pages, _count, reuse._count - _count);
            Array.Clear(reuse._present, _count, reuse._count - _count);
        }

        Array.Copy(_pages, reuse._pages, _count);
        Array.Copy(_pageGen, reuse._pageGen, _count);
        Array.Copy(_hash, reuse._hash, _count);
        Array.Copy(_present, reuse._present, _count);
        reuse._count = _count;
        reuse._gen = _gen + 1;
        _gen = reuse._gen + 1;
        return reuse;
    }

    /// <summary>Makes this pool equal to <paramref name="source"/>, sharing its pages (and their caches) copy-on-write.</summary>
    public void RestoreFrom(PageTablePool source)
    {
        if (_pages.Length < source._pages.Length)
        {
            _pages = new ulong[source._pages.Length][];
            _pageGen = new int[source._pages.Length];
            _hash = new ulong[source._pages.Length];
            _present = new short[source._pages.Length][];
        }

        Array.Copy(source._pages, _pages, source._count);
        Array.Copy(source._pageGen, _pageGen, source._count);
        Array.Copy(source._hash, _hash, source._count);
        Array.Copy(source._present, _present, source._count);
        Array.Clear(_pages, source._count, _pages.Length - source._count);
        Array.Clear(_present, source._count, _present.Length - source._count);
        _count = source._count;
        _gen = Math.Max(_gen, source._gen) + 1;
    }
}
