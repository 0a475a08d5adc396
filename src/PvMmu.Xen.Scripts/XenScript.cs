
namespace PvMmu.Xen.Scripts;

/// <summary>A parsed hypercall script: its machine, its names and its statements.</summary>
public sealed class XenScript
{
    public required string File { get; init; }

    public required HypervisorConfig Config { get; init; }

    /// <summary>The rules the script asks for with a <c>xen</c> line, if any.</summary>
    public XenVersion? Version { get; init; }

    /// <summary>The versions the test suite runs it under (<c>versions</c> line); current only by default.</summary>
    public required IReadOnlyList<XenVersion> Versions { get; init; }

    /// <summary>Frame names and their MFNs; names bound at run time (populate_physmap) map to uint.MaxValue.</summary>
    public required IReadOnlyDictionary<string, uint> Names { get; init; }

    public required IReadOnlyList<ScriptStatement> Statements { get; init; }
}
