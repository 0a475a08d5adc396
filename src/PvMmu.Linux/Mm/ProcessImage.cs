namespace PvMmu.Linux.Mm;

/// <summary>
/// What a program maps and touches, as the page-table code sees it: its regions (text, data, heap, shared
/// libraries, ...) and the stack pages exec builds before the new mm is activated (bprm's argument pages).
/// Every region is modeled as private memory whose pages are all present once the program has run.
/// </summary>
public sealed record ProcessImage(string Name, MemoryRegion[] Regions, int StackPages)
{
    /// <summary>The top of the user stack (below the canonical-address hole).</summary>
    public const ulong StackTop = 0x7FFF_FFFF_F000UL;

    /// <summary>A program that is only its exec-time stack (the built-in exec workloads' default).</summary>
    public static ProcessImage StackOnly(int pages) => new($"stack-{pages}", [], pages);

    /// <summary>Pages present once the program has run: every region plus the stack.</summary>
    public int TotalPages
    {
        get
        {
            var n = StackPages;
            foreach (var r in Regions)
            {
                n += r.Pages;
            }

            return n;
        }
    }
}
