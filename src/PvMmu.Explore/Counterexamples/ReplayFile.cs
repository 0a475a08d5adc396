using System.Globalization;
using System.Text;
using System.Text.Json;
using PvMmu.Linux.Sched;

namespace PvMmu.Explore.Counterexamples;

/// <summary>
/// A counterexample on disk: the scenario, the exit path, the vCPU count, and the schedule (one move a line as
/// <c>v1 step</c> or <c>v1 ipi</c>). JSON with snake_case names, written in a fixed order.
/// </summary>
public sealed record ReplayFile(string Scenario, string Strategy, int Vcpus, IReadOnlyList<Choice> Schedule, string Violation)
{
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("scenario", Scenario);
            w.WriteString("strategy", Strategy);
            w.WriteNumber("vcpus", Vcpus);
            w.WriteString("violation", Violation);
            w.WriteStartArray("schedule");
            foreach (var c in Schedule)
            {
                w.WriteStringValue(c.ToString());
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Reads a replay file; a malformed one is a <see cref="FormatException"/> saying what was expected.</summary>
    public static ReplayFile Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"line {e.LineNumber + 1}: expected JSON ({e.Message})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            string Str(string name) => root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String
                ? p.GetString()!
                : throw new FormatException($"expected a string field \"{name}\"");
            var vcpus = root.TryGetProperty("vcpus", out var v) && v.TryGetInt32(out var n) ? n : throw new FormatException("expected a number field \"vcpus\"");
            if (!root.TryGetProperty("schedule", out var s) || s.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("expected an array field \"schedule\"");
            }

            var schedule = new List<Choice>();
            foreach (var item in s.EnumerateArray())
            {
                var text = item.GetString() ?? string.Empty;
                var parts = text.Split(' ');
                if (parts.Length != 2 || !parts[0].StartsWith('v')
                    || !int.TryParse(parts[0].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var cpu)
                    || parts[1] is not ("step" or "ipi"))
                {
                    throw new FormatException($"schedule item {schedule.Count + 1}: expected \"vN step\" or \"vN ipi\", got \"{text}\"");
                }

                schedule.Add(new Choice(cpu, parts[1] == "step" ? ChoiceKind.Step : ChoiceKind.TakeIpi));
            }

            return new ReplayFile(Str("scenario"), Str("strategy"), vcpus, schedule, root.TryGetProperty("violation", out var vi) ? vi.GetString() ?? string.Empty : string.Empty);
        }
    }
}
