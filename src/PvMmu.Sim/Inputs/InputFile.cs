using System.Text;

namespace PvMmu.Sim.Inputs;

/// <summary>
/// Every input file PvMmu reads (scenarios, cost tables, hypercall scripts, replay files, captures) comes through
/// here, with the same limits: only a regular file or <c>-</c> (standard input) is read, a FIFO or a device is
/// refused before it is opened (opening a FIFO blocks; <c>/dev/zero</c> never ends), at most
/// <see cref="MaxBytes"/> bytes (overridable with the <c>PVMMU_MAX_INPUT</c> environment variable, e.g. 64M), and
/// no line longer than <see cref="MaxLineChars"/> characters, so that no parser sees a 5 MB line or echoes one back.
/// </summary>
public static class InputFile
{
    /// <summary>The built-in cap: 16 MiB, far above any file the project ships (the largest is a few KiB).</summary>
    public const long DefaultMaxBytes = 16L << 20;

    /// <summary>
    /// The longest line a line-oriented input (YAML, TOML, a hypercall script) may have. JSON inputs (replay files,
    /// captures) are often written on one line, so they have only the size cap; their errors quote at most
    /// <see cref="Quote.MaxChars"/> characters of the input.
    /// </summary>
    public const int MaxLineChars = 65536;

    public const string MaxBytesVariable = "PVMMU_MAX_INPUT";

    /// <summary>The size cap in force: <c>PVMMU_MAX_INPUT</c> when set (a size such as 1M), else the default.</summary>
    public static long MaxBytes
    {
        get
        {
            var v = Environment.GetEnvironmentVariable(MaxBytesVariable);
            if (string.IsNullOrWhiteSpace(v))
            {
                return DefaultMaxBytes;
            }

            return Sizes.TryParse(v, 1, 1L << 40, out var n)
                ? n
                : throw new InputFileException(MaxBytesVariable, 0, $"expected a size from 1 to 1T (such as 64M), got '{Quote.Cut(v)}'");
        }
    }

    /// <summary>
    /// The text of <paramref name="path"/> (<c>-</c>: standard input), decoded as UTF-8; an
    /// <see cref="InputFileException"/> saying why when it is not a regular file, cannot be read, is over the cap,
    /// or (with <paramref name="lineLimit"/>) has a line over <see cref="MaxLineChars"/>; <paramref name="cap"/>
    /// replaces <see cref="MaxBytes"/>.
    /// </summary>
    public static string ReadText(string path, bool lineLimit = true, long? cap = null)
    {
        var limit = cap ?? MaxBytes;
        byte[] bytes;
        if (path == "-")
        {
            bytes = ReadCapped(Console.OpenStandardInput(), limit, "standard input");
        }
        else
        {
            if (FileKind.Of(path) is { } refused)
            {
                throw new InputFileException(path, 0, $"not a regular file ({refused}); give a file, or '-' for standard input");
            }

            try
            {
                using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                bytes = ReadCapped(s, limit, path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                throw new InputFileException(path, 0, $"cannot read: {e.Message}");
            }
        }

        var text = new UTF8Encoding(false, false).GetString(bytes);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        if (lineLimit)
        {
            CheckLines(text, path);
        }

        return text;
    }

    private static byte[] ReadCapped(Stream s, long cap, string what)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = s.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > cap)
            {
                throw new InputFileException(what, 0, $"larger than the input cap of {Sizes.Format(cap)} (set {MaxBytesVariable}, e.g. {MaxBytesVariable}=64M, to raise it)");
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    private static void CheckLines(string text, string path)
    {
        var line = 1;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '\n')
            {
                if (i - start > MaxLineChars)
                {
                    throw new InputFileException(path, line, $"a line of {i - start} characters; at most {MaxLineChars} are read");
                }

                line++;
                start = i + 1;
            }
        }
    }
}
