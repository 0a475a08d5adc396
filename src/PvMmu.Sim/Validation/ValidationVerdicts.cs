namespace PvMmu.Sim.Validation;

/// <summary>How a compared count came out.</summary>
public static class ValidationVerdicts
{
    public const string Equal = "=";

    /// <summary>Off by one where the capture's two boots also differ by one (a COW fault that lands in either phase).</summary>
    public const string Noise = "≈ noise";

    public const string Differs = "DIFFERS";
}
