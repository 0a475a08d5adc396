namespace PvMmu.Linux.Mm;

/// <summary>
/// struct mm_struct for every address space, as arrays by mm id: the pgd, mm_users, mm_count, mm_cpumask and up to
/// <see cref="MaxVmas"/> anonymous VMAs. Id 0 is init_mm.
/// </summary>
public sealed class MmTable
{
    public const int MaxVmas = 8;

    public MmTable(int capacity)
    {
        Pgd = new uint[capacity];
        Users = new int[capacity];
        Count = new int[capacity];
        CpuMask = new ulong[capacity];
        VmaStart = new ulong[capacity * MaxVmas];
        VmaEnd = new ulong[capacity * MaxVmas];
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

    public int[] VmaCount { get; }

    public bool[] Live { get; }

    public int Capacity => Pgd.Length;

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
                return i;
            }
        }

        throw new InvalidOperationException("no free mm_struct");
    }
}
