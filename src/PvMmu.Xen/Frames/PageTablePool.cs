using System.IO.Hashing;
using System.Runtime.InteropServices;
using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Frames;

/// <summary>
/// The contents of frames used as page tables (512 entries each), kept only for frames that have held entries.
/// Pages are shared copy-on-write between a model and its snapshots, all drawing on one <see cref="PageStore"/> that
/// counts the pools holding each page: a page is written in place only when this pool alone holds it, otherwise it is
/// copied first. A snapshot therefore costs one copy of the page index, not of the pages, and a page no pool holds
/// any more is reused rather than left to the collector.
/// <para>
/// Each page also carries two caches derived from its contents alone, kept beside it in the store and dropped by
/// every write to it (<see cref="Writable"/>): its 64-bit hash (<see cref="PageHash"/>, for the fingerprint) and the
/// slots of its present entries (<see cref="PresentSlots"/>, for the invariant recount). A page a snapshot holds is
/// never written in place, so its caches travel with it through snapshots and restores and stay true.
/// </para>
/// </summary>
public sealed class PageTablePool
{
    public const int EntriesPerTable = 512;

    /// <summary>The <see cref="PageHash"/> of a page whose entries are all zero (such a page counts as no page).</summary>
    public const ulong ZeroPageHash = 1;

    private readonly PageStore _store;

    /// <summary>The store's handle of each page of this pool.</summary>
    private int[] _handles;

    /// <summary>The store's page of each handle in <see cref="_handles"/>, for reads without the indirection.</summary>
    private ulong[][] _pages;
    private int _count;

    public PageTablePool(int capacity = 64)
    {
        _store = new PageStore();
        _handles = new int[Math.Max(capacity, 4)];
        _pages = new ulong[_handles.Length][];

        // The live pool goes with its store; only a snapshot dropped while the store lives has pages to give back.
        GC.SuppressFinalize(this);
    }

    private PageTablePool(PageStore store, int capacity)
    {
        _store = store;
        _handles = new int[capacity];
        _pages = new ulong[capacity][];
    }

    /// <summary>A snapshot no one can reach: its pages go back to the store (at the store's next use, on its thread).</summary>
    ~PageTablePool()
    {
        if (_count > 0)
        {
            _store.ReleaseLater(_handles, _count);
        }
    }

    /// <summary>How many tables have contents.</summary>
    public int Count => _count;

    /// <summary>Allocates a zeroed page and returns its index.</summary>
    public int Allocate()
    {
        if (_count == _handles.Length)
        {
            Array.Resize(ref _handles, _handles.Length * 2);
            Array.Resize(ref _pages, _handles.Length);
        }

        var h = _store.Take();
        var page = _store.Pages[h];
        Array.Clear(page);
        _handles[_count] = h;
        _pages[_count] = page;
        _store.Hash[h] = ZeroPageHash;
        _store.Present[h] = [];
        return _count++;
    }

    /// <summary>Reads one entry.</summary>
    public ulong Read(int page, int slot) => _pages[page][slot];

    /// <summary>A read-only view of a whole page.</summary>
    public ReadOnlySpan<ulong> View(int page) => _pages[page];

    /// <summary>Writes one entry, copying the page first when a snapshot shares it.</summary>
    public void Write(int page, int slot, ulong value) => Writable(page)[slot] = value;

    /// <summary>
    /// The page as a writable array, copied first when a snapshot shares it. Its cached hash and present slots are
    /// dropped now, so the caller must finish writing before the next <see cref="PageHash"/> or <see cref="PresentSlots"/>.
    /// </summary>
    public ulong[] Writable(int page)
    {
        var h = _handles[page];
        var store = _store;
        if (store.Holders[h] > 1)
        {
            var copy = store.Take();
            var p = store.Pages[copy];
            _pages[page].CopyTo(p, 0);
            store.Release(h);
            _handles[page] = copy;
            _pages[page] = p;
            return p;
        }

        store.Hash[h] = PageStore.NoHash;
        store.Present[h] = null;
        return _pages[page];
    }

    /// <summary>
    /// XxHash3 of the page's 512 entries, or <see cref="ZeroPageHash"/> when they are all zero; computed once per
    /// version of the page. A function of the contents only, whatever path wrote them.
    /// </summary>
    public ulong PageHash(int page)
    {
        var h = _handles[page];
        var hash = _store.Hash[h];
        if (hash == PageStore.NoHash)
        {
            hash = ComputeHash(_pages[page]);
            _store.Hash[h] = hash;
        }

        return hash;
    }

    /// <summary>What <see cref="PageHash"/> caches, computed from scratch.</summary>
    public static ulong ComputeHash(ReadOnlySpan<ulong> page)
    {
        if (!page.ContainsAnyExcept(0UL))
        {
            return ZeroPageHash;
        }

        var h = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(page));
        return h is PageStore.NoHash or ZeroPageHash ? h + 2 : h;
    }

    /// <summary>The slots whose entry has _PAGE_PRESENT, ascending; computed once per version of the page.</summary>
    public ReadOnlySpan<short> PresentSlots(int page)
    {
        var h = _handles[page];
        var s = _store.Present[h];
        if (s == null)
        {
            s = ComputePresentSlots(_pages[page]);
            _store.Present[h] = s;
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

    /// <summary>Captures the pool: the snapshot holds this pool's pages too, so both sides copy a page before writing it.</summary>
    public PageTablePool Snapshot()
    {
        var copy = new PageTablePool(_store, _handles.Length);
        copy.HoldCopyOf(this);
        return copy;
    }

    /// <summary>
    /// <see cref="Snapshot"/> into <paramref name="reuse"/> (a snapshot no longer needed, or null): it lets go of the
    /// pages it held (those no other pool holds are free for reuse) and holds this pool's instead.
    /// </summary>
    public PageTablePool SnapshotInto(PageTablePool? reuse)
    {
        if (reuse == null || reuse == this)
        {
            return Snapshot();
        }

        reuse.ReleaseAll();
        reuse.HoldCopyOf(this);
        return reuse;
    }

    /// <summary>Makes this pool equal to <paramref name="source"/>, sharing its pages (and their caches) copy-on-write.</summary>
    public void RestoreFrom(PageTablePool source)
    {
        if (source == this)
        {
            return;
        }

        ReleaseAll();
        HoldCopyOf(source);
    }

    /// <summary>Lets go of every page (the index is overwritten next).</summary>
    private void ReleaseAll()
    {
        var store = _store;
        for (var i = 0; i < _count; i++)
        {
            store.Release(_handles[i]);
        }

        // Drops the references, so that a page another store frees is not kept alive here.
        Array.Clear(_pages, 0, _count);
        _count = 0;
    }

    /// <summary>
    /// This pool's index becomes <paramref name="source"/>'s, holding each of its pages; a source of another store (a
    /// snapshot of another hypervisor) is copied page by page into this one's.
    /// </summary>
    private void HoldCopyOf(PageTablePool source)
    {
        if (_handles.Length < source._count)
        {
            _handles = new int[source._handles.Length];
            _pages = new ulong[source._handles.Length][];
        }

        var n = source._count;
        if (source._store == _store)
        {
            Array.Copy(source._handles, _handles, n);
            Array.Copy(source._pages, _pages, n);
            var store = _store;
            for (var i = 0; i < n; i++)
            {
                store.Hold(_handles[i]);
            }
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                var h = _store.Take();
                var p = _store.Pages[h];
                source._pages[i].CopyTo(p, 0);
                _handles[i] = h;
                _pages[i] = p;
            }
        }

        _count = n;
    }
}
