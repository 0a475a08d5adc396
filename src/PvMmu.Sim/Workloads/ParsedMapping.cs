namespace PvMmu.Sim.Workloads;

/// <summary>
/// A mapping of a process as the scenario reader follows it in file order (what it is called in errors, and for a
/// file mapping, the file and whether it is shared; an image region mapped without write, <c>writable: false</c>),
/// kept in the order the model keeps the process's VMAs.
/// </summary>
internal sealed record ParsedMapping(ulong Start, int Pages, string What, int File = -1, bool Shared = false, bool ReadOnly = false)
{
    public ulong End => Start + ((ulong)Pages << 12);

    public bool Contains(ulong start, ulong end) => start >= Start && end <= End;
}
