using System.Text.Json;
using PvMmu.Sim.Validation;

namespace PvMmu.Cli.Commands;

/// <summary>
/// The JSON both kinds of `pvmmu validate` print: the capture, what it ran (a scenario file's name, for
/// --scenario), the real Xen and Linux, the strategy held to it, and one object per compared count.
/// </summary>
internal static class ValidationJson
{
    public static void Write<TRow>(TextWriter stdout, RealCapture real, string? scenario, string strategy, IEnumerable<TRow> rows, Action<Utf8JsonWriter, TRow> writeRow)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("capture", real.Path);
            if (scenario != null)
            {
                w.WriteString("scenario", scenario);
            }

            w.WriteString("xen", real.Xen);
            w.WriteString("linux", real.Linux);
            w.WriteString("strategy", strategy);
            w.WriteStartArray("rows");
            foreach (var r in rows)
            {
                w.WriteStartObject();
                writeRow(w, r);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        stdout.Write(System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n");
    }
}
