using System.Text;
using System.Text.Json;

namespace PvMmu.Explore.Counterexamples;

/// <summary>
/// A replayed schedule as a trace in the Chrome JSON trace-event format, which ui.perfetto.dev opens: one track per
/// vCPU, each move a 1 ms slice at its place in the schedule (the model has no clock of its own, so time is the move
/// number), its notes as arguments, and the violation as an instant event on the vCPU that met it.
/// </summary>
public static class PerfettoTrace
{
    private const long MoveMicros = 1000;

    public static string ToJson(string title, int vcpus, IReadOnlyList<TraceSlice> slices)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("displayTimeUnit", "ms");
            w.WriteStartArray("traceEvents");
            Meta(w, "process_name", 0, title);
            for (var v = 0; v < vcpus; v++)
            {
                Meta(w, "thread_name", v, $"vCPU {v}");
            }

            foreach (var s in slices)
            {
                w.WriteStartObject();
                w.WriteString("name", s.What);
                w.WriteString("ph", "X");
                w.WriteNumber("ts", (s.Move - 1) * MoveMicros);
                w.WriteNumber("dur", MoveMicros);
                w.WriteNumber("pid", 1);
                w.WriteNumber("tid", s.Cpu);
                w.WriteStartObject("args");
                w.WriteNumber("move", s.Move);
                if (s.Notes.Length > 0)
                {
                    w.WriteString("notes", s.Notes);
                }

                w.WriteEndObject();
                w.WriteEndObject();
                if (s.Violation != null)
                {
                    w.WriteStartObject();
                    w.WriteString("name", "violation");
                    w.WriteString("ph", "i");
                    w.WriteString("s", "t");
                    w.WriteNumber("ts", s.Move * MoveMicros);
                    w.WriteNumber("pid", 1);
                    w.WriteNumber("tid", s.Cpu);
                    w.WriteStartObject("args");
                    w.WriteString("violation", s.Violation);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void Meta(Utf8JsonWriter w, string kind, int tid, string name)
    {
        w.WriteStartObject();
        w.WriteString("name", kind);
        w.WriteString("ph", "M");
        w.WriteNumber("pid", 1);
        w.WriteNumber("tid", tid);
        w.WriteStartObject("args");
        w.WriteString("name", name);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
