using System.Collections.Concurrent;
using System.Text;

namespace PvMmu.Sim.Outputs;

/// <summary>
/// Every file PvMmu writes (cost tables, traces, replay files; the HTML report does the same per directory) is
/// written whole to a temporary file beside the target, flushed, and renamed over it. A rename within a directory
/// is atomic, so a failure, a full disk or a signal leaves the old file or none, never half of one, and concurrent
/// writers of one path leave one whole output (the last rename wins).
/// </summary>
public static class AtomicFile
{
    /// <summary>Temporary files being written; a signal handler deletes them (<see cref="DeletePending"/>).</summary>
    private static readonly ConcurrentDictionary<string, byte> Pending = new();

    /// <summary>
    /// Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/>; an <see cref="IOException"/> whose
    /// message is the user's one line when it cannot (no such directory, a directory in the way, no permission, no
    /// space).
    /// </summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));

    /// <inheritdoc cref="WriteAllText"/>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new IOException($"cannot write {path}: not a usable path ({e.Message})");
        }

        if (Directory.Exists(full))
        {
            throw new IOException($"cannot write {full}: it is a directory");
        }

        var dir = Path.GetDirectoryName(full);
        if (dir is null || !Directory.Exists(dir))
        {
            throw new IOException($"cannot write {full}: its directory {dir} does not exist");
        }

        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Pending[temp] = 0;
        try
        {
            using (var s = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                s.Write(bytes);
                s.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new IOException($"cannot write {full}: {e.Message}", e);
        }
        finally
        {
            Pending.TryRemove(temp, out _);
        }
    }

    /// <summary>Deletes the temporary files of writes still under way: the process is being stopped.</summary>
    public static void DeletePending()
    {
        foreach (var temp in Pending.Keys)
        {
            TryDelete(temp);
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover hidden temporary file is harmless; the target is untouched.
        }
    }
}
