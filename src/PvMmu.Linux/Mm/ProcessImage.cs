namespace PvMmu.Linux.Mm;

/// <summary>
/// What a program maps and touches, as the page-table code sees it: its regions (text, data, heap, shared
/// libraries, ...) and the stack pages exec builds before the new mm is activated (bprm's argument pages).
/// Every region is modeled as private anonymous memory, writable or not (a text segment is not), whose pages are all
/// present once the program has run.
/// </summary>
public sealed record ProcessImage(string Name, MemoryRegion[] Regions, int StackPages)
{
    /// <summary>The top of the user stack (below the canonical-address hole).</summary>
    public const ulong StackTop = 0x7FFF_FFFF_F000UL;

    /// <summary>Native µs of user-mode compute in one run of the program (<see cref="Sched.OpKind.Compute"/>); 0 for none.</summary>
    public long UserMicros { get; init; }

    /// <summary>Native µs of kernel work in one run that the model does not otherwise count (file I/O, system calls).</summary>
    public long KernelMicros { get; init; }

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
