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

    /// <summary>Process slots in all (initial ones and those forks fill).</summary>
    public required int ProcessSlots { get; init; }

    /// <summary>Guest memory in frames; when 0, enough for every image the workload can have live at once.</summary>
    public int Frames { get; init; }

    /// <summary>The frames the run needs: enough for every image ever mapped, its tables, and boot.</summary>
    public int FramesNeeded()
    {
        if (Frames > 0)
        {
            return Frames;
        }

        long pages = 0;
        foreach (var p in Processes)
        {
            pages += Images[p.Image].TotalPages;
        }

        var ops = 0;
        foreach (var program in Programs)
        {
            foreach (var op in program)
            {
                ops++;
                pages += op.Kind switch
                {
                    OpKind.ExecImage => Images[op.Arg].TotalPages,
                    OpKind.Exec or OpKind.Touch => op.Arg,
                    _ => 0,
                };
            }
        }

        return (int)Math.Min(int.MaxValue, (3 * pages) + (pages / 128) + 1024 + (16L * ops));
    }
}
