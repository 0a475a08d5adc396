using System.Globalization;
using System.Text;
using System.Text.Json;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Counterexamples;

/// <summary>
/// A counterexample on disk: the scenario, the exit path, the vCPU count, and the schedule (one move a line as
/// <c>v1 step</c> or <c>v1 ipi</c>). JSON with snake_case names, written in a fixed order.
/// </summary>
public sealed record ReplayFile(string Scenario, string Strategy, int Vcpus, IReadOnlyList<Move> Schedule, string Violation)
{
    /// <summary>The strategy file the strategy came from (relative to the replay file once written), or null for a built-in one.</summary>
    public string? StrategyFile { get; init; }

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("scenario", Scenario);
            w.WriteString("strategy", Strategy);
            if (StrategyFile != null)
            {
                w.WriteString("strategy_file", StrategyFile);
            }
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

    private static readonly string[] Fields = ["scenario", "strategy", "strategy_file", "vcpus", "violation", "schedule"];

    /// <summary>Reads a replay file; a malformed one is a <see cref="FormatException"/> saying what was expected.</summary>
    public static ReplayFile Parse(string json)
    {
        JsonDocument doc;
        try
        {
            // A key given twice is an error rather than the last one silently winning; nothing here nests deeper than 2.
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            // The reader's message can quote the input, line breaks included: one line, cut.
            var flat = new string([.. e.Message.Select(c => char.IsControl(c) ? ' ' : c)]);
            var why = flat.Length > 120 ? flat[..117] + "..." : flat;
            throw new FormatException($"line {e.LineNumber + 1}: expected JSON ({why})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("expected a JSON object with the fields scenario, strategy, vcpus and schedule");
            }

            foreach (var p in root.EnumerateObject())
            {
                if (Array.IndexOf(Fields, p.Name) < 0)
                {
                    throw new FormatException($"unknown field \"{(p.Name.Length > 40 ? p.Name[..40] + "..." : p.Name)}\"; a replay file has {string.Join(", ", Fields)}");
                }
            }

            string Str(string name) => root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String
                ? p.GetString()!
                : throw new FormatException($"expected a string field \"{name}\"");
            var vcpus = root.TryGetProperty("vcpus", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)
                ? n
                : throw new FormatException("expected a whole-number field \"vcpus\"");
            if (!root.TryGetProperty("schedule", out var s) || s.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("expected an array field \"schedule\"");
            }

            var schedule = new List<Move>();
            foreach (var item in s.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    throw new FormatException($"schedule item {schedule.Count + 1}: expected a string such as \"v1 step\", got {item.GetRawText()}");
                }

                var text = item.GetString()!;
                var parts = text.Split(' ');
                byte alt = 0;
                if (parts.Length != 2 || !parts[0].StartsWith('v')
                    || !int.TryParse(parts[0].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var cpu)
                    || !(parts[1] is "step" or "ipi" || (parts[1].StartsWith("step/", StringComparison.Ordinal)
                        && byte.TryParse(parts[1].AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out alt) && alt is > 0 and < Move.MaxAlternatives)))
                {
                    throw new FormatException($"schedule item {schedule.Count + 1}: expected \"vN step\", \"vN step/A\" (A from 1 to {Move.MaxAlternatives - 1}) or \"vN ipi\", got \"{(text.Length > 40 ? text[..40] + "..." : text)}\"");
                }

                schedule.Add(new Move(cpu, parts[1] == "ipi" ? MoveKind.TakeIpi : MoveKind.Step, alt));
            }

            // The violation is what check met, kept for the reader; the replay finds its own.
            var violation = root.TryGetProperty("violation", out var vi)
                ? vi.ValueKind is JsonValueKind.String or JsonValueKind.Null ? vi.GetString() ?? string.Empty : throw new FormatException("expected a string field \"violation\"")
                : string.Empty;
            var strategyFile = root.TryGetProperty("strategy_file", out var sf)
                ? sf.ValueKind == JsonValueKind.String ? sf.GetString() : throw new FormatException("expected a string field \"strategy_file\"")
                : null;
            return new ReplayFile(Str("scenario"), Str("strategy"), vcpus, schedule, violation) { StrategyFile = strategyFile };
        }
    }
}
