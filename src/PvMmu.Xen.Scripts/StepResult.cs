namespace PvMmu.Xen.Scripts;

/// <summary>What a statement printed and whether its expectation held.</summary>
public readonly record struct StepResult(string Output, bool Held)
{
    public static StepResult Ok(string output) => new(output, true);

    public static StepResult Failed(string output) => new(output, false);
}
