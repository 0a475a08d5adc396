using System.Runtime.InteropServices;

namespace PvMmu.Explore.Visited;

/// <summary>
/// A block of zeroed memory for the visited set, outside the garbage-collected heap. A big block is mapped afresh,
/// so its pages are zero without being written and cost nothing until touched, and on Linux it is offered
/// transparent huge pages (madvise(MADV_HUGEPAGE)): a table of millions of states probed at random otherwise misses
/// the TLB at almost every lookup, in 4 KiB pages. Small blocks come from the C allocator.
/// </summary>
internal readonly unsafe partial struct SlotBlock
{
    /// <summary>At or above this, a block is mapped and offered huge pages.</summary>
    public const long MappedBytes = 4L << 20;

    private const long HugePage = 2L << 20;
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapPrivate = 2;
    private const int MapAnonymous = 0x20;
    private const int MadvDontNeed = 4;
    private const int MadvHugePage = 14;
    private const long SmallPage = 4096;

    private readonly nint _base;
    private readonly long _mappedLength;

    private SlotBlock(ulong* slots, nint @base, long mappedLength)
    {
        Slots = slots;
        _base = @base;
        _mappedLength = mappedLength;
    }

    /// <summary>The memory, aligned to a huge page when mapped.</summary>
    public ulong* Slots { get; }

    /// <summary><paramref name="bytes"/> of zeroed memory.</summary>
    public static SlotBlock Allocate(long bytes)
    {
        if (bytes >= MappedBytes && OperatingSystem.IsLinux())
        {
            // A huge page more than asked, so that the slots can start on a huge-page boundary inside it.
            var length = bytes + HugePage;
            var mapped = Mmap(0, (nuint)length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (mapped != -1)
            {
                var aligned = (mapped + (nint)(HugePage - 1)) & ~(nint)(HugePage - 1);
                _ = Madvise(aligned, (nuint)bytes, MadvHugePage); // a hint: without THP the pages stay small
                return new SlotBlock((ulong*)aligned, mapped, length);
            }
        }

        var block = NativeMemory.AllocZeroed((nuint)bytes);
        return new SlotBlock((ulong*)block, (nint)block, 0);
    }

    /// <summary>Gives the memory back.</summary>
    public void Free()
    {
        if (_base == 0)
        {
            return;
        }

        if (_mappedLength > 0)
        {
            _ = Munmap(_base, (nuint)_mappedLength);
        }
        else
        {
            NativeMemory.Free((void*)_base);
        }
    }

    /// <summary>
    /// Gives back the memory of the whole pages within <paramref name="bytes"/> at <paramref name="from"/>, inside a
    /// mapped block (madvise(MADV_DONTNEED)): they read as zeros if touched again. A hint; nothing on other systems.
    /// </summary>
    public static void Discard(ulong* from, long bytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var start = ((nint)from + (nint)(SmallPage - 1)) & ~(nint)(SmallPage - 1);
        var end = ((nint)from + (nint)bytes) & ~(nint)(SmallPage - 1);
        if (end > start)
        {
            _ = Madvise(start, (nuint)(end - start), MadvDontNeed);
        }
    }

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint addr, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint addr, nuint length, int advice);
}
