namespace PvMmu.Linux.Mm;

/// <summary>
/// A range of user addresses a workload step names (cow_write, munmap, mmap, touch with a start, mprotect):
/// [Start, Start + Pages·4 KiB). For an mmap, what is mapped there: anonymous memory (<paramref name="File"/> −1) or
/// file <paramref name="File"/> from its first page, private or <paramref name="Shared"/>. For an mprotect, the new
/// protection: <paramref name="Writable"/> (PROT_READ|PROT_WRITE) or not (PROT_READ).
/// </summary>
public readonly record struct UserRange(ulong Start, int Pages, int File = -1, bool Shared = false, bool Writable = true)
{
    /// <summary>The first address past the range.</summary>
    public ulong End => Start + ((ulong)Pages << 12);
}
