namespace PvMmu.Tests;

/// <summary>Finds the repository's folders from the test binary's location.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string ExamplesXen => Path.Combine(Root, "examples", "xen");

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "PvMmu.slnx")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("PvMmu.slnx not found above " + AppContext.BaseDirectory);
    }
}
