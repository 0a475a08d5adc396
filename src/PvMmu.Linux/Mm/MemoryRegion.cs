namespace PvMmu.Linux.Mm;

/// <summary>
/// One mapping of a process image: where it starts, how many of its pages the program touches, and whether the
/// program may write it (a text segment is mapped PROT_READ|PROT_EXEC: its PTEs are read-only, so fork's
/// copy_present_pte copies them without write-protecting the parent's, and no copy-on-write ever follows).
/// </summary>
public readonly record struct MemoryRegion(ulong Start, int Pages, bool Writable = true);
