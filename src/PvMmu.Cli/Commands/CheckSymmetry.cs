namespace PvMmu.Cli.Commands;

/// <summary>
/// What <c>pvmmu check --symmetry</c> did, for the verdict and the JSON: whether the exhaustive search explored the
/// abstraction (<c>on</c>), the classes of interchangeable vCPUs it merged, and, when the abstraction had a violation
/// that was then re-checked on the exact model, that violation.
/// </summary>
internal sealed record CheckSymmetry(bool On, int[][] Classes, string? AbstractionViolation = null)
{
    public static readonly CheckSymmetry Off = new(false, []);

    /// <summary>The classes as text, e.g. "{v1,v2,v3}", or "none".</summary>
    public string ClassText => Classes.Length == 0 ? "none" : string.Join(" ", Classes.Select(c => "{" + string.Join(",", c.Select(v => $"v{v}")) + "}"));
}
