namespace PvMmu.Linux.Mm;

/// <summary>
/// struct mm_struct for every address space, as arrays by mm id: the pgd, mm_users, mm_count, mm_cpumask and up to
/// <see cref="MaxVmas"/> VMAs, anonymous or of a file (<see cref="VmaFile"/>). Id 0 is init_mm.
/// </summary>
public sealed class MmTable
{
    public const int MaxVmas = 16;

    public MmTable(int capacity)
    {
        Pgd = new uint[capacity];
        Users = new int[capacity];
        Count = new int[capacity];
        CpuMask = new ulong[capacity];
        VmaStart = new ulong[capacity * MaxVmas];
        VmaEnd = new ulong[capacity * MaxVmas];
        VmaFile = new ulong[capacity * MaxVmas];
        VmaCount = new int[capacity];
        Live = new bool[capacity];
    }

    public uint[] Pgd { get; }

    /// <summary>mm_users: tasks (threads) using the address space.</summary>
    public int[] Users { get; }

    /// <summary>mm_count: references to the mm_struct itself (one for all users, plus lazy-TLB borrowers).</summary>
    public int[] Count { get; }

    public ulong[] CpuMask { get; }

    public ulong[] VmaStart { get; }

    public ulong[] VmaEnd { get; }

    /// <summary>
    /// What each VMA maps, as one word (vm_file and vm_pgoff): 0 for anonymous memory; for a file, the address its
    /// page 0 would have (vm_start − vm_pgoff·4 KiB, page-aligned, unchanged when the VMA is trimmed or split), with
    /// the file's index + 1 in bits 0–10 and VM_SHARED in bit 11 (<see cref="FileWord"/>).
    /// </summary>
    public ulong[] VmaFile { get; }

    /// <summary>The <see cref="VmaFile"/> word of a mapping of file <paramref name="file"/> (0–2046) whose page 0 is at <paramref name="fileBase"/>.</summary>
    public static ulong FileWord(ulong fileBase, int file, bool shared) =>
        (fileBase & ~0xFFFUL) | (shared ? 0x800UL : 0) | (uint)(file + 1);

    /// <summary>The file a <see cref="VmaFile"/> word maps, or −1 for anonymous memory.</summary>
    public static int FileOf(ulong word) => (int)(word & 0x7FF) - 1;

    /// <summary>
    /// The <see cref="VmaFile"/> word of private memory mapped without PROT_WRITE that the model keeps anonymous: a
    /// program's text (the ELF loader maps it from the file, but every page of it is resident and never written, so
    /// what the page-table code does with it is what it does with read-only anonymous memory). No file word has it:
    /// a file's index + 1 in bits 0–10 is never 0.
    /// </summary>
    public const ulong ReadOnlyAnonymous = 0x1000;

    /// <summary>Whether a <see cref="VmaFile"/> word maps a file (vm_file set).</summary>
    public static bool IsFile(ulong word) => (word & 0x7FF) != 0;

    /// <summary>Whether a <see cref="VmaFile"/> word is a shared mapping (VM_SHARED).</summary>
    public static bool IsShared(ulong word) => (word & 0x800) != 0;

    /// <summary>The page of the file that <paramref name="va"/> maps under a <see cref="VmaFile"/> word.</summary>
    public static int FilePage(ulong word, ulong va) => (int)((va - (word & ~0xFFFUL)) >> 12);

    public int[] VmaCount { get; }

    public bool[] Live { get; }

    public int Capacity => Pgd.Length;

    /// <summary>One past the highest id ever allocated (init_mm's 0 counts): every row from here on is all zeros.</summary>
    public int HighWater { get; private set; } = 1;

    public int Allocate()
    {
        for (var i = 1; i < Pgd.Length; i++)
        {
            if (!Live[i])
            {
                Live[i] = true;
                Users[i] = 1;
                Count[i] = 1;
                CpuMask[i] = 0;
                VmaCount[i] = 0;
                HighWater = Math.Max(HighWater, i + 1);
                return i;
            }
        }

        throw new InvalidOperationException("no free mm_struct");
    }

    /// <summary>Makes this table equal to <paramref name="s"/> (same capacity).</summary>
    public void CopyFrom(MmTable s)
    {
        s.Pgd.CopyTo(Pgd, 0);
        s.Users.CopyTo(Users, 0);
        s.Count.CopyTo(Count, 0);
        s.CpuMask.CopyTo(CpuMask, 0);
        s.VmaStart.CopyTo(VmaStart, 0);
        s.VmaEnd.CopyTo(VmaEnd, 0);
        s.VmaFile.CopyTo(VmaFile, 0);
        s.VmaCount.CopyTo(VmaCount, 0);
        s.Live.CopyTo(Live, 0);
        HighWater = s.HighWater;
    }

    /// <summary>A copy of the rows below <see cref="HighWater"/> only (the rest are zeros), for <see cref="RestoreFrom"/>.</summary>
    public MmTable Snapshot() => CopyRowsInto(new MmTable(HighWater));

    /// <summary>
    /// <see cref="Snapshot"/> into <paramref name="reuse"/> when it has room for the rows needed (its rows from
    /// <see cref="HighWater"/> on are left over and never read), so a search allocates nothing.
    /// </summary>
    public MmTable SnapshotInto(MmTable? reuse) =>
        reuse == null || reuse.Pgd.Length < HighWater ? CopyRowsInto(new MmTable(Capacity)) : CopyRowsInto(reuse);

    /// <summary>The rows below <see cref="HighWater"/> into <paramref name="c"/>, which has at least that many.</summary>
    private MmTable CopyRowsInto(MmTable c)
    {
        Pgd.AsSpan(0, HighWater).CopyTo(c.Pgd);
        Users.AsSpan(0, HighWater).CopyTo(c.Users);
        Count.AsSpan(0, HighWater).CopyTo(c.Count);
        CpuMask.AsSpan(0, HighWater).CopyTo(c.CpuMask);
        VmaStart.AsSpan(0, HighWater * MaxVmas).CopyTo(c.VmaStart);
        VmaEnd.AsSpan(0, HighWater * MaxVmas).CopyTo(c.VmaEnd);
        VmaFile.AsSpan(0, HighWater * MaxVmas).CopyTo(c.VmaFile);
        VmaCount.AsSpan(0, HighWater).CopyTo(c.VmaCount);
        Live.AsSpan(0, HighWater).CopyTo(c.Live);
        c.HighWater = HighWater;
        return c;
    }

    /// <summary>Makes this table equal to the one <paramref name="s"/> (a <see cref="Snapshot"/>) was taken of.</summary>
    public void RestoreFrom(MmTable s)
    {
        var n = s.HighWater;
        var used = Math.Max(HighWater, n);
        Restore(s.Pgd, Pgd, n, used);
        Restore(s.Users, Users, n, used);
        Restore(s.Count, Count, n, used);
        Restore(s.CpuMask, CpuMask, n, used);
        Restore(s.VmaStart, VmaStart, n * MaxVmas, used * MaxVmas);
        Restore(s.VmaEnd, VmaEnd, n * MaxVmas, used * MaxVmas);
        Restore(s.VmaFile, VmaFile, n * MaxVmas, used * MaxVmas);
        Restore(s.VmaCount, VmaCount, n, used);
        Restore(s.Live, Live, n, used);
        HighWater = n;

        static void Restore<T>(T[] from, T[] to, int n, int used)
        {
            from.AsSpan(0, n).CopyTo(to);
            if (used > n)
            {
                to.AsSpan(n, used - n).Clear();
            }
        }
    }

    /// <summary>
    /// Adds the table's state to a fingerprint: the rows up to the last one that is not empty (a function of the
    /// contents, so equal tables hash equally whatever <see cref="HighWater"/> their history left), and of each row
    /// only its <see cref="VmaCount"/> VMAs. The entries past the count are what a munmap or an exit left behind;
    /// nothing reads them (every walk stops at the count), so two states that differ only there behave alike.
    /// </summary>
    internal void Hash(FingerprintBuffer b)
    {
        var rows = HighWater;
        while (rows > 1 && IsEmptyRow(rows - 1))
        {
            rows--;
        }

        b.Add((ulong)rows);
        b.Add((ReadOnlySpan<uint>)Pgd.AsSpan(0, rows));
        b.Add((ReadOnlySpan<int>)Users.AsSpan(0, rows));
        b.Add((ReadOnlySpan<int>)Count.AsSpan(0, rows));
        b.Add((ReadOnlySpan<ulong>)CpuMask.AsSpan(0, rows));
        b.Add((ReadOnlySpan<bool>)Live.AsSpan(0, rows));
        b.Add((ReadOnlySpan<int>)VmaCount.AsSpan(0, rows));
        for (var r = 0; r < rows; r++)
        {
            b.Add((ReadOnlySpan<ulong>)VmaStart.AsSpan(r * MaxVmas, VmaCount[r]));
            b.Add((ReadOnlySpan<ulong>)VmaEnd.AsSpan(r * MaxVmas, VmaCount[r]));
            b.Add((ReadOnlySpan<ulong>)VmaFile.AsSpan(r * MaxVmas, VmaCount[r]));
        }
    }

    private bool IsEmptyRow(int r) =>
        Pgd[r] == 0 && Users[r] == 0 && Count[r] == 0 && CpuMask[r] == 0 && VmaCount[r] == 0 && !Live[r];
}
