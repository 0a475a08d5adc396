using PvMmu.Xen.Invariants;

namespace PvMmu.Xen.Scripts;

/// <summary>The state a running script sees: its hypervisor and the frame names bound so far.</summary>
public sealed class ScriptContext
{
    public ScriptContext(Hypervisor hypervisor, IReadOnlyDictionary<string, uint> names)
    {
        Hypervisor = hypervisor;
        Names = new Dictionary<string, uint>(names, StringComparer.Ordinal);
    }

    public Hypervisor Hypervisor { get; }

    public Dictionary<string, uint> Names { get; }

    public InvariantChecker Checker { get; } = new();

    public uint Resolve(string name) => Names.TryGetValue(name, out var m) && m != uint.MaxValue
        ? m
        : throw new InvalidOperationException($"frame name '{name}' is not bound yet");

    /// <summary>The name of a frame for output, or "mfn:N".</summary>
    public string NameOf(uint mfn)
    {
        foreach (var (k, v) in Names)
        {
            if (v == mfn)
            {
                return k;
            }
        }

        return "mfn:" + mfn.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
