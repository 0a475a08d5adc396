namespace PvMmu.Sim.Validation;

/// <summary>The kinds of workload validation/real-xen/pvtest.c runs (its usage line), as the model replays them.</summary>
public enum PvtestKind
{
    /// <summary>fork-exit-N: map and touch N pages, fork, the child exits, unmap.</summary>
    ForkExit,

    /// <summary>fork-cow-N: the same, the child writing every page before it exits.</summary>
    ForkCow,

    /// <summary>fork-vmas-KxN: fork-exit over K VMAs of N pages, one unmapped page between neighbours, each unmapped alone.</summary>
    ForkVmas,

    /// <summary>exec-N: map and touch N pages, fork, the child execs a program that exits at once.</summary>
    Exec,
}
