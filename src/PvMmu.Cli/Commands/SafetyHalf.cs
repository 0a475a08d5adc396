using System.Globalization;
using System.Text;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Explore.Search;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Exit;

namespace PvMmu.Cli.Commands;

/// <summary>
/// The default job's "is it safe" half, from the explorer: every schedule of the thread's scenario (lazy-exit) under
/// each exit path, and the thread's own question answered from coverage: is drop_other_mm_ref's second branch
/// (4.11's load_cr3(swapper_pg_dir), 4.13's xen_mc_flush()) reachable at 2, 3 and 4 vCPUs? Searches that would
/// outgrow the job's budget stop at a state cap on one thread (so the output is the same on every run) and say
/// they are no proof.
/// </summary>
internal static class SafetyHalf
{
    public const string Scenario = "lazy-exit";

    /// <summary>The state cap per search (states visited, revisits included): lazy-exit visits 561,456 at 3 vCPUs (310,930 distinct), so 3 completes and 4 does not.</summary>
    public const long Cap = 600_000;

    /// <summary>The vCPU counts the thread's question is asked at.</summary>
    public static readonly int[] QuestionVcpus = [2, 3, 4];

    /// <summary>The exit paths broken on purpose: their violations are expected, not findings (the default job's too).</summary>
    internal static readonly string[] Broken = ["BrokenNoDropMmRef", "BrokenCpumaskOnly"];

    /// <summary>One search: on one thread, so that a capped one reports the same states on every run.</summary>
    private static ExplorationResult Search(IExitStrategy strategy, int vcpus) =>
        new ExhaustiveExplorer(Scenarios.Explorable(Scenario, strategy, vcpus), maxStates: Cap).Run();

    /// <summary>
    /// Writes the half to <paramref name="sb"/> (lines of at most 80 columns); whether an exit path not meant to be
    /// broken is unsafe, and each path's verdict (safe: no violation in a complete search).
    /// </summary>
    public static (bool Finding, List<(string Strategy, bool Safe)> Verdicts) Write(StringBuilder sb, IReadOnlyList<IExitStrategy> strategies)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append("every schedule of the thread's scenario, searched\n");
        sb.Append("exhaustively (pvmmu check --scenario lazy-exit): P0 exits on vCPU 0 while the\n");
        sb.Append("kernel thread on each other vCPU lazily borrows its mm and then schedules freely\n");
        sb.Append("(a kernel thread, another process, halt), taking the exit's IPIs wherever\n");
        sb.Append("interrupts are on.\n\n");
        sb.Append(inv, $"{"strategy",-18}2 vCPUs\n");
        var finding = false;
        var verdicts = new List<(string Strategy, bool Safe)>();
        foreach (var s in strategies)
        {
            var name = s.Name;
            var r = Search(s, 2);
            var broken = Broken.Contains(name);
            string verdict;
            if (r.Violation != null)
            {
                var invariant = r.Violation.Split(':')[0];
                verdict = $"UNSAFE{(broken ? " (deliberately broken)" : string.Empty)}: {invariant} after {r.Counterexample.Count.ToString(inv)} moves";
                finding |= !broken;
            }
            else
            {
                verdict = Complete(r)
                    ? $"safe: every schedule explored ({r.DistinctStates.ToString("N0", inv)} states)"
                    : $"no violation in {r.DistinctStates.ToString("N0", inv)} states (cap: no proof)";
            }

            verdicts.Add((name, Complete(r)));

            sb.Append(inv, $"{name,-18}{verdict}\n");
        }

        sb.Append("\nThe thread's question, from coverage: can drop_other_mm_ref's second branch run\n");
        sb.Append("at all, 4.11's load_cr3(swapper_pg_dir) or 4.13's xen_mc_flush()\n");
        sb.Append("(xen_current_cr3 still naming the dying pgd when the IPI lands)?\n\n");
        sb.Append(inv, $"{"vCPUs",-7}{"Linux411: load_cr3",-32}Linux413: xen_mc_flush\n");
        var everReached = false;
        foreach (var n in QuestionVcpus)
        {
            var a = Reach("Linux411", n, "drop_other_mm_ref:load_cr3", ref everReached);
            var b = Reach("Linux413", n, "drop_other_mm_ref:xen_mc_flush", ref everReached);
            sb.Append(inv, $"{n,-7}{a,-32}{b}\n");
        }

        sb.Append(everReached
            ? "\nThe second branch is reachable: the two versions can differ; see it with\npvmmu check --reach drop_other_mm_ref:load_cr3 --strategy Linux411.\n"
            : "\nNot reached in any search: an IPI is taken only with interrupts on, when no CR3\n"
              + "load is queued, so the first branch (leave_mm) has always moved xen_current_cr3\n"
              + "off the pgd; where the search completed, load_cr3 versus xen_mc_flush makes no\n"
              + "difference. Where it stopped at its cap, that is no proof.\n");
        return (finding, verdicts);
    }

    /// <summary>Every schedule explored and none violated: check's exit 0 (<see cref="CheckVerdict"/>).</summary>
    private static bool Complete(ExplorationResult r) => CheckVerdict.IncompleteBecause(r, "exhaustive") == null;

    private static string Reach(string strategy, int vcpus, string branch, ref bool reached)
    {
        var inv = CultureInfo.InvariantCulture;
        if (Branches.Find(branch) == null)
        {
            throw new InvalidOperationException($"no branch named {branch}");
        }

        var r = Search(ExitStrategies.Find(strategy)!, vcpus);
        var moves = r.Coverage.FirstOrDefault(c => c.Branch == branch).Moves;

        if (moves > 0)
        {
            reached = true;
            return $"REACHED ({r.DistinctStates.ToString("N0", inv)} states)";
        }

        return r.Violation != null
            ? "a violation came first"
            : Complete(r)
            ? $"unreachable ({r.DistinctStates.ToString("N0", inv)} states)"
            : $"not in {r.DistinctStates.ToString("N0", inv)} (cap: no proof)";
    }
}
