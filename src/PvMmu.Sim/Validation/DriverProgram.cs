using System.Globalization;
using System.Text;
using PvMmu.Linux.Sched;
using PvMmu.Sim.Workloads;

namespace PvMmu.Sim.Validation;

/// <summary>
/// A workload scenario in the line format validation/real-xen/pvscen.c reads (it has no YAML parser): the images, the
/// initial processes and each vCPU's program, one item a line. pvscen runs it on a real dom0, marking each step's
/// window with the phase the model charges that step to (<see cref="PhaseOf"/>).
/// </summary>
public static class DriverProgram
{
    /// <summary>The steps the driver runs; a scenario with another step is refused (<see cref="Unsupported"/>).</summary>
    private static readonly OpKind[] Supported = [OpKind.Run, OpKind.Kthread, OpKind.Touch, OpKind.Exit, OpKind.Signal, OpKind.Wait];

    /// <summary>The phase <see cref="WorkloadRunner"/> charges an operation's events to (an IPI's are its exit's).</summary>
    public static string PhaseOf(OpKind kind) => kind switch
    {
        OpKind.Fork => "fork",
        OpKind.Exec or OpKind.ExecImage => "exec",
        OpKind.Exit => "exit",
        _ => "switch",
    };

    /// <summary>The first step the driver cannot run yet (fork, exec, schedule, threads), said in a sentence; null when it runs them all.</summary>
    public static string? Unsupported(WorkloadSpec spec)
    {
        if (spec.Setup is not null)
        {
            return "a setup section (the driver runs the programs only)";
        }

        foreach (var p in spec.Processes)
        {
            if (p.Threads != 1)
            {
                return "a process with more than one thread";
            }
        }

        for (var c = 0; c < spec.Programs.Length; c++)
        {
            foreach (var op in spec.Programs[c])
            {
                if (Array.IndexOf(Supported, op.Kind) < 0)
                {
                    return $"the step '{op}' on vCPU {c} (the driver runs run, kthread, touch, exit, signal and wait)";
                }
            }
        }

        return null;
    }

    /// <summary>The driver's input for <paramref name="spec"/>: <c>pvscen 1</c>, then name, vcpus, images, processes, steps.</summary>
    public static string Lines(WorkloadSpec spec)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("pvscen 1\n");
        sb.Append(inv, $"name {spec.Name}\n");
        sb.Append(inv, $"vcpus {spec.Vcpus}\n");
        for (var i = 0; i < spec.Images.Count; i++)
        {
            var im = spec.Images[i];
            sb.Append(inv, $"image {i} {im.StackPages}\n");
            foreach (var r in im.Regions)
            {
                sb.Append(inv, $"region {i} 0x{r.Start:x} {r.Pages}\n");
            }
        }

        for (var p = 0; p < spec.Processes.Count; p++)
        {
            sb.Append(inv, $"process {p} {spec.Processes[p].Image} {spec.Processes[p].Cpu}\n");
        }

        for (var c = 0; c < spec.Programs.Length; c++)
        {
            foreach (var op in spec.Programs[c])
            {
                sb.Append(op.Kind switch
                {
                    OpKind.Run => FormattableString.Invariant($"step {c} run {op.Process}"),
                    OpKind.Kthread => FormattableString.Invariant($"step {c} kthread"),
                    OpKind.Touch => FormattableString.Invariant($"step {c} touch {op.Process} {op.Arg}"),
                    OpKind.Exit => FormattableString.Invariant($"step {c} exit {op.Process}"),
                    OpKind.Signal => FormattableString.Invariant($"step {c} signal {op.Arg}"),
                    OpKind.Wait => FormattableString.Invariant($"step {c} wait {op.Arg}"),
                    _ => throw new ArgumentException($"the driver does not run '{op}'", nameof(spec)),
                });
                sb.Append(' ').Append(PhaseOf(op.Kind)).Append('\n');
            }
        }

        return sb.ToString();
    }
}
