using System.Text.Json.Nodes;
using static PvMmu.Cli.Tests.Pvmmu;

namespace PvMmu.Cli.Tests.Commands;

/// <summary>
/// <c>pvmmu validate --scenario</c>: a workload scenario file on the model against the same file run on a real 2-vCPU
/// dom0 by validation/real-xen/pvscen.c (the committed capture of examples/workloads/lazy-exit.yaml).
/// </summary>
public sealed class ScenarioValidateTests
{
    private static string Scenario => Path.Combine(RepoPaths.Root, "examples", "workloads", "lazy-exit.yaml");

    private static string Capture => Path.Combine(RepoPaths.Root, "validation", "real-xen", "captures", "linux-6.1-xen-4.17.scenario-lazy-exit.json");

    [Fact]
    public void TheLazyExitAgreesWithTheRealGuestOnEveryCountPerPhaseAndVcpu()
    {
        var (exit, output, err) = Run("validate", "--scenario", Scenario, "--file", Capture);
        Assert.True(exit == ExitCodes.Ok, err + output);
        Assert.Contains(" 0 differ", output, StringComparison.Ordinal);

        var (_, json, _) = Run("validate", "--scenario", Scenario, "--file", Capture, "--json");
        var rows = JsonNode.Parse(json)!["rows"]!.AsArray();
        long Real(string phase, int vcpu, string key) =>
            rows.SingleOrDefault(r => (string)r!["phase"]! == phase && (int)r["vcpu"]! == vcpu && (string)r["tracepoint"]! == key) is { } r
                ? (long)r["real"]! : 0;

        // 6.1's xen_write_cr3 fires once for the kernel pgd and once for the user pgd (xen_get_user_pgd): a switch to
        // p costs each vCPU two; the lazy vCPU 1 writes two more in the exit, leave_mm run by xen_exit_mmap's IPI
        // (xen_drop_mm_ref: its xen_current_cr3 is still p's pgd), and the exiting vCPU 0 its own two (drop_mm_ref_this_cpu).
        Assert.Equal(2, Real("switch", 1, "xen_mmu_write_cr3"));
        Assert.Equal(2, Real("switch", 0, "xen_mmu_write_cr3"));
        Assert.Equal(2, Real("exit", 1, "xen_mmu_write_cr3"));
        Assert.Equal(2, Real("exit", 0, "xen_mmu_write_cr3"));

        // One unpin, by the exiting vCPU, after the IPI; the lazy vCPU touches no page table.
        Assert.Equal(1, Real("exit", 0, "xen_mmu_pgd_unpin"));
        Assert.Equal(0, Real("exit", 1, "xen_mmu_pgd_unpin"));
        Assert.Equal(0, Real("exit", 1, "xen_mmu_release_ptpage"));
    }

    /// <summary>
    /// The same process exiting on one vCPU (examples/workloads/exit-1vcpu.yaml; dom0 had 2 vCPUs, one the driver's):
    /// the second switch to p, after a kernel thread kept p's mm loaded, writes no CR3 (6.1's switch_mm_irqs_off with
    /// prev == next), so the two run steps cost two writes in all; the exit sends no IPI.
    /// </summary>
    [Fact]
    public void TheExitOnOneVcpuAgreesWithTheRealGuest()
    {
        var scenario = Path.Combine(RepoPaths.Root, "examples", "workloads", "exit-1vcpu.yaml");
        var capture = Path.Combine(RepoPaths.Root, "validation", "real-xen", "captures", "linux-6.1-xen-4.17.scenario-exit-1vcpu.json");
        var (exit, output, err) = Run("validate", "--scenario", scenario, "--file", capture);
        Assert.True(exit == ExitCodes.Ok, err + output);
        Assert.Contains(" 0 differ", output, StringComparison.Ordinal);
        Assert.Matches(@"switch\s+0\s+xen_mmu_write_cr3\s+2\s+2\s+0\s+=", output);
        Assert.DoesNotContain("exit    1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ADifferenceOnTheLazyVcpuIsAFinding()
    {
        // The lazy vCPU not leaving the mm (no leave_mm from the IPI): what a kernel without xen_drop_mm_ref would show.
        var node = JsonNode.Parse(File.ReadAllText(Capture))!;
        var cpu1 = node["workloads"]!["lazy-exit"]!["cpus"]!["exit"]!["cpu1"]!;
        cpu1["xen_mmu_write_cr3"] = 0;
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-test-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, node.ToJsonString());
        var (exit, output, _) = Run("validate", "--scenario", Scenario, "--file", path);
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.Matches(@"exit\s+1\s+xen_mmu_write_cr3\s+0\s+2\s+\+2\s+DIFFERS", output);
    }

    [Fact]
    public void TheDriverLinesAreTheScenarioStepByStep()
    {
        var (exit, output, _) = Run("validate", "--scenario", Scenario, "--driver-lines");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal(
            "pvscen 1\nname lazy-exit\nvcpus 2\nimage 0 0\nregion 0 0x400000 1024\nprocess 0 0 0\n"
            + "step 0 wait 0 switch\nstep 0 run 0 switch\nstep 0 exit 0 exit\nstep 1 run 0 switch\nstep 1 kthread switch\nstep 1 signal 0 switch\n",
            output);
    }

    [Fact]
    public void AScenarioWithoutACaptureIsOneLineAndExitOne()
    {
        var (exit, output, err) = Run("validate", "--scenario", Scenario, "--file", Path.Combine(Path.GetTempPath(), $"none-{Guid.NewGuid():N}.json"));
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Equal(string.Empty, output);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void AStepTheDriverCannotRunIsRefused()
    {
        var path = Path.Combine(RepoPaths.Root, "examples", "workloads", "compile-mix.yaml");
        var (exit, _, err) = Run("validate", "--scenario", path, "--driver-lines");
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains("cannot run", err, StringComparison.Ordinal);
    }
}
