using System.Security.Cryptography;
using System.Text;

namespace PvMmu.Sim.Strategies;

/// <summary>
/// Compiled strategy files on disk, by content hash (the source, the guest model's build, the compiler): a second run
/// loads the image instead of compiling again. Under $PVMMU_CACHE, else $XDG_CACHE_HOME/pvmmu, else ~/.cache/pvmmu;
/// a cache that cannot be read or written is only slower, never an error. Entries are written whole (a temporary
/// file renamed into place), so a reader never sees half of one.
/// </summary>
internal static class StrategyCache
{
    public static string Key(string source) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(StrategyCompiler.Fingerprint + "\n" + source)));

    public static string? Directory()
    {
        var root = Environment.GetEnvironmentVariable("PVMMU_CACHE") is { Length: > 0 } c ? c
            : Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? Path.Combine(x, "pvmmu")
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } h ? Path.Combine(h, ".cache", "pvmmu")
            : null;
        return root is null ? null : Path.Combine(root, "strategies");
    }

    public static (byte[] Image, byte[] Symbols)? TryRead(string key)
    {
        if (Directory() is not { } dir)
        {
            return null;
        }

        try
        {
            var image = Path.Combine(dir, key + ".dll");
            var symbols = Path.Combine(dir, key + ".pdb");
            return File.Exists(image) && File.Exists(symbols) ? (File.ReadAllBytes(image), File.ReadAllBytes(symbols)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static void TryWrite(string key, byte[] image, byte[] symbols)
    {
        if (Directory() is not { } dir)
        {
            return;
        }

        try
        {
            System.IO.Directory.CreateDirectory(dir);

            // The symbols first: an image is only read when its symbols are there.
            Put(Path.Combine(dir, key + ".pdb"), symbols);
            Put(Path.Combine(dir, key + ".dll"), image);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void Put(string path, byte[] bytes)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
