namespace PvMmu.Linux.Mm;

/// <summary>
/// The page cache of a workload's files (mm/filemap.c): every page of every file is one frame, read in before the
/// programs start (the files are in use, their pages cached) and holding the page cache's own reference. Every
/// mapping of a page takes one more (filemap_map_pages, finish_fault → do_set_pte with the reference filemap_fault
/// took) and its unmap drops it (zap_pte_range → the mmu_gather's put), so a page is shared by every mm that maps it
/// and is never freed while cached. Not part of the explored state: the frames never change after
/// <see cref="Fill"/>; their reference counts are the kernel's.
/// </summary>
public sealed class PageCache
{
    private readonly uint[][] _frames;

    private PageCache(uint[][] frames) => _frames = frames;

    /// <summary>No files.</summary>
    public static PageCache Empty { get; } = new([]);

    /// <summary>The files' pages read into the page cache on <paramref name="cpu"/>: one frame each, reference count 1.</summary>
    public static PageCache Fill(Kernel k, int cpu, IReadOnlyList<FileImage> files)
    {
        var frames = new uint[files.Count][];
        for (var f = 0; f < files.Count; f++)
        {
            frames[f] = new uint[files[f].Pages];
            for (var p = 0; p < frames[f].Length; p++)
            {
                frames[f][p] = k.AllocPage(cpu);
            }
        }

        return new PageCache(frames);
    }

    /// <summary>The files cached.</summary>
    public int Files => _frames.Length;

    /// <summary>The pages of file <paramref name="file"/>.</summary>
    public int Pages(int file) => _frames[file].Length;

    /// <summary>The frame that caches page <paramref name="page"/> of file <paramref name="file"/>.</summary>
    public uint Frame(int file, int page) => _frames[file][page];
}
