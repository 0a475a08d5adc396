using PvMmu.Linux.Mm;
using PvMmu.Linux.Sched;

namespace PvMmu.Sim.Workloads;

/// <summary>
/// A workload, whether built in or read from a scenario file: the program images, the processes set up before the
/// start (mapped, touched and pinned, in the setup phase), and each vCPU's program. Process slots are numbered:
/// the initial processes first, then the slots that forks fill.
/// </summary>
public sealed class WorkloadSpec
{
    public required string Name { get; init; }

    public required int Vcpus { get; init; }

    public required IReadOnlyList<ProcessImage> Images { get; init; }

    public required IReadOnlyList<InitialProcess> Processes { get; init; }

    /// <summary>One program per vCPU.</summary>
    public required Op[][] Programs { get; init; }

    /// <summary>
    /// What ran before the workload begins, one program per vCPU, run round-robin to its end in the setup phase
    /// (for instance: a task ran on a vCPU, then a kernel thread there kept its mm lazily); null for none.
    /// </summary>
    public Op[][]? Setup { get; init; }

    /// <summary>The files mmap steps map (each page cached in one frame before the programs start).</summary>
    public IReadOnlyList<FileImage> Files { get; init; } = [];

    /// <summary>The ranges the memory steps name (cow_write, munmap, mmap, touch with a start, mprotect), by index.</summary>
    public IReadOnlyList<UserRange> Ranges { get; init; } = [];

    /// <summary>
    /// Each process slot's name, as the per-task view names its tasks (a scenario file's names); null: P0, P1, ...
    /// </summary>
    public IReadOnlyList<string>? ProcessNames { get; init; }

    /// <summary>Process slots in all (initial ones and those forks fill).</summary>
    public required int ProcessSlots { get; init; }

    /// <summary>Guest memory in frames; when 0, enough for every image the workload can have live at once.</summary>
    public int Frames { get; init; }

    /// <summary>
    /// The most guest memory the model boots: 16M frames (64 GiB). Its frame tables cost tens of bytes a frame, so
    /// this keeps a run within a few GiB of memory; the largest built-in workload (4M pages) needs about 12.6M.
    /// </summary>
    public const int MaxFrames = 1 << 24;

    /// <summary>
    /// The mm_structs the run can hold at once: one per process slot, plus per vCPU the new mm of an exec under way
    /// and an exited mm a kernel thread still borrows lazily, plus init_mm; never fewer than the kernel's default.
    /// </summary>
    public int MmsNeeded() => Math.Max(64, ProcessSlots + (2 * Vcpus) + 1);

    /// <summary>
    /// The frames the run needs: every image page ever mapped (an upper bound on what is live at once, since freed
    /// frames are reused; fork shares its data pages), the page-table pages of every mm ever created (its two pgds,
    /// up to three upper tables and one PTE page per region and per 2 MiB), the files' pages, a frame per page a
    /// cow_write or a touch of a range can fault, the tables of mmap'ed ranges (in their mm and each fork's child),
    /// and room for boot.
    /// </summary>
    public int FramesNeeded()
    {
        if (Frames > 0)
        {
            return Frames;
        }

        long frames = 1024 + Files.Sum(f => (long)f.Pages);
        void Mm(ProcessImage image)
        {
            frames += image.TotalPages + 2 + (4 * (image.Regions.Length + 1)) + (image.TotalPages / 512);
        }

        foreach (var p in Processes)
        {
            Mm(Images[p.Image]);
        }

        var slotImage = new int[Math.Max(ProcessSlots, Processes.Count)];
        for (var i = 0; i < Processes.Count; i++)
        {
            slotImage[i] = Processes[i].Image;
        }

        // The page-table pages an mmap'ed range can need, in its own mm and in each fork's child.
        long mmapTables = 0;
        foreach (var program in Setup is null ? Programs : [.. Setup, .. Programs])
        {
            foreach (var op in program)
            {
                mmapTables += op.Kind == OpKind.Mmap ? (Ranges[op.Arg].Pages / 512) + 4 : 0;
            }
        }

        frames += mmapTables;
        foreach (var program in Setup is null ? Programs : [.. Setup, .. Programs])
        {
            foreach (var op in program)
            {
                switch (op.Kind)
                {
                    case OpKind.ExecImage:
                        Mm(Images[op.Arg]);
                        break;
                    case OpKind.Exec:
                        Mm(ProcessImage.StackOnly(op.Arg));
                        break;
                    case OpKind.Touch:
                        frames += op.Arg + (op.Arg / 512) + 1;
                        break;
                    case OpKind.TouchRange or OpKind.CowWrite:
                        // A new page per fault (a file page is cached already), and the tables down to the PTE pages.
                        frames += Ranges[op.Arg].Pages + (Ranges[op.Arg].Pages / 512) + 4;
                        break;
                    case OpKind.Fork:
                        // The child's tables: as many as the largest image could need.
                        frames += Images.Max(i => 2 + (4 * (i.Regions.Length + 1)) + (i.TotalPages / 512)) + mmapTables;
                        break;
                    default:
                        break;
                }
            }
        }

        return (int)Math.Min(int.MaxValue, frames);
    }
}
