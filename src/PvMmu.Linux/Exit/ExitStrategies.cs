namespace PvMmu.Linux.Exit;

/// <summary>Every exit-path variant by name, for the command line and the tests.</summary>
public static class ExitStrategies
{
    public static IReadOnlyList<IExitStrategy> All { get; } =
    [
        new Linux411(),
        new Linux413(),
        new Linux414(),
        new Linux61(),
        new NoExitUnpin(),
        new TryUnpin(),
        new BrokenNoDropMmRef(),
        new BrokenCpumaskOnly(),
        new EarlyPinLateUnpin(),
    ];

    /// <summary>The strategy named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static IExitStrategy? Find(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    public static string Names => string.Join(", ", All.Select(s => s.Name));
}
