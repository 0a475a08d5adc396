using System.Globalization;
using System.Text.Json;

namespace PvMmu.Sim.Validation;

/// <summary>
/// A capture of a real Xen and Linux PV guest (validation/real-xen/captures/*.json, written by parse.py): per workload
/// and phase, the count of each xen:* tracepoint key that pvtest's own tasks (pvtest, its children, the program they
/// exec) fired, and the anonymous region the workload mapped. Page-table work of other tasks that ran inside a phase
/// window (parse.py's "other_tasks": a kernel thread mapping a page of its own) is not counted; the events of a
/// context switch (CR3 writes, its multicall) belong to both tasks and stay in, like every multicall count.
/// </summary>
public sealed class RealCapture
{
    private readonly Dictionary<string, Dictionary<string, Dictionary<string, long>>> _counts = [];
    private readonly Dictionary<string, (ulong Start, int Pages)> _regions = [];

    private RealCapture(string path, string xen, string linux)
    {
        Path = path;
        Xen = xen;
        Linux = linux;
    }

    public string Path { get; }

    public string Xen { get; }

    public string Linux { get; }

    public IEnumerable<string> Workloads => _counts.Keys;

    public long Get(string workload, string phase, string key) =>
        _counts.TryGetValue(workload, out var w) && w.TryGetValue(phase, out var p) && p.TryGetValue(key, out var n) ? n : 0;

    public bool Has(string workload) => _counts.ContainsKey(workload);

    public (ulong Start, int Pages)? Region(string workload) => _regions.TryGetValue(workload, out var r) ? r : null;

    /// <summary>Reads a capture; a file that is not one throws <see cref="InvalidDataException"/> saying what was expected.</summary>
    public static RealCapture Load(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{e.LineNumber + 1}:{e.BytePositionInLine + 1}: not a capture (JSON): {e.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("workloads", out var workloads) || workloads.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}:1:1: not a capture: expected an object with \"workloads\"");
            }

            var c = new RealCapture(path, Text(root, "xen"), Text(root, "linux"));
            foreach (var w in workloads.EnumerateObject())
            {
                var phases = new Dictionary<string, Dictionary<string, long>>();
                if (w.Value.TryGetProperty("phases", out var ps) && ps.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in ps.EnumerateObject())
                    {
                        var keys = new Dictionary<string, long>();
                        foreach (var k in p.Value.EnumerateObject())
                        {
                            if (k.Value.ValueKind == JsonValueKind.Number && k.Value.TryGetInt64(out var n))
                            {
                                keys[k.Name] = n;
                            }
                        }

                        phases[p.Name] = keys;
                    }
                }

                // Other tasks' page-table work in the phase windows is taken out: what is compared is pvtest's own.
                if (w.Value.TryGetProperty("other_tasks", out var others) && others.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in others.EnumerateObject())
                    {
                        if (!phases.TryGetValue(p.Name, out var keys))
                        {
                            continue;
                        }

                        foreach (var k in p.Value.EnumerateObject())
                        {
                            if (IsPageTableWork(k.Name) && k.Value.ValueKind == JsonValueKind.Number && k.Value.TryGetInt64(out var n) && keys.ContainsKey(k.Name))
                            {
                                keys[k.Name] -= n;
                            }
                        }
                    }
                }

                c._counts[w.Name] = phases;
                if (w.Value.TryGetProperty("region", out var r) && r.ValueKind == JsonValueKind.Object
                    && r.TryGetProperty("start", out var s) && s.GetString() is { } hex && hex.StartsWith("0x", StringComparison.Ordinal)
                    && ulong.TryParse(hex[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                    && r.TryGetProperty("pages", out var pg) && pg.TryGetInt32(out var pages))
                {
                    c._regions[w.Name] = (start, pages);
                }
            }

            return c;
        }
    }

    /// <summary>The set_pte/pmd/pud/p4d, pin, unpin and page-table page events: work done by the task that fires them.</summary>
    private static bool IsPageTableWork(string key) =>
        key.StartsWith("xen_mmu_set_", StringComparison.Ordinal) || key.StartsWith("xen_mmu_alloc_ptpage", StringComparison.Ordinal)
        || key.StartsWith("xen_mmu_release_ptpage", StringComparison.Ordinal) || key.StartsWith("xen_mmu_pgd_", StringComparison.Ordinal);

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "?";
}
