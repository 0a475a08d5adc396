using System.Globalization;
using System.Text.Json;
using PvMmu.Sim.Inputs;

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
    private readonly Dictionary<string, Dictionary<string, Dictionary<string, long>>> _xen = [];
    private readonly Dictionary<string, Dictionary<string, Dictionary<string, long>>> _cpus = [];
    private readonly Dictionary<string, Dictionary<string, Dictionary<string, long>>> _cpusOther = [];
    private readonly Dictionary<string, Dictionary<int, List<ulong>>> _present = [];

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

    /// <summary>Whether the capture has Xen's own trace counts (capture.sh with XENTRACE=1: "xen_phases").</summary>
    public bool HasXenTrace => _xen.Count > 0;

    /// <summary>A count from Xen's own trace (<c>xen_phases</c>: ptwr_emulation, pv_page_fault, hypercall, ...).</summary>
    public long GetXen(string workload, string phase, string key) =>
        _xen.TryGetValue(workload, out var w) && w.TryGetValue(phase, out var p) && p.TryGetValue(key, out var n) ? n : 0;

    /// <summary>
    /// A count of one CPU in a phase (<c>cpus</c>: count.awk's PVCPU lines, every task), or of the tasks other than
    /// the workload's own and the idle task on it (<paramref name="other"/>: <c>cpus_other</c>).
    /// </summary>
    public long GetCpu(string workload, string phase, int cpu, string key, bool other = false) =>
        (other ? _cpusOther : _cpus).TryGetValue(workload, out var w) && w.TryGetValue(PhaseCpu(phase, cpu), out var p) && p.TryGetValue(key, out var n) ? n : 0;

    /// <summary>
    /// The first present page of each 2 MiB block (one PTE page) of a driver process's address space outside the
    /// scenario's own regions, as pvscen read them from /proc/self/pagemap at the end of its setup (<c>present</c>).
    /// </summary>
    public IReadOnlyList<ulong> Present(string workload, int process) =>
        _present.TryGetValue(workload, out var w) && w.TryGetValue(process, out var l) ? l : [];

    private static string PhaseCpu(string phase, int cpu) => phase + "/cpu" + cpu.ToString(CultureInfo.InvariantCulture);

    public (ulong Start, int Pages)? Region(string workload) => _regions.TryGetValue(workload, out var r) ? r : null;

    /// <summary>
    /// Reads a capture (through <see cref="InputFile"/>'s limits); a file that is not one throws
    /// <see cref="InvalidDataException"/> saying what was expected where.
    /// </summary>
    public static RealCapture Load(string path)
    {
        try
        {
            return Parse(InputFile.ReadText(path, lineLimit: false), path);
        }
        catch (InputFileException e)
        {
            throw new InvalidDataException(e.Message);
        }
    }

    /// <summary>The capture shipped inside the tool (validation/real-xen/captures/NAME), so validate runs from any directory.</summary>
    public static RealCapture? Embedded(string name)
    {
        using var s = typeof(RealCapture).Assembly.GetManifestResourceStream("PvMmu.Sim.Validation." + name);
        if (s is null)
        {
            return null;
        }

        using var r = new StreamReader(s);
        return Parse(r.ReadToEnd(), "(built in) " + name);
    }

    /// <summary>
    /// Parses capture text. Keys parse.py adds beyond these (setup, events, ...) are kept out of the comparison, but
    /// a key these readers use must have its type, a key may not appear twice, and counts are whole numbers from 0.
    /// </summary>
    public static RealCapture Parse(string text, string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{e.LineNumber + 1}:{e.BytePositionInLine + 1}: not a capture (JSON): {Quote.Cut(e.Message)}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("workloads", out var workloads) || workloads.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: not a capture: expected an object with \"workloads\"");
            }

            var c = new RealCapture(path, Text(root, "xen"), Text(root, "linux"));
            foreach (var w in workloads.EnumerateObject())
            {
                var at = $"{path}: workloads.{Quote.Cut(w.Name)}";
                Object(w.Value, at);
                var phases = Phases(w.Value, "phases", at);

                // Other tasks' page-table work in the phase windows is taken out: what is compared is pvtest's own.
                if (w.Value.TryGetProperty("other_tasks", out var others))
                {
                    foreach (var p in Object(others, at + ".other_tasks").EnumerateObject())
                    {
                        var other = Counts(p.Value, $"{at}.other_tasks.{Quote.Cut(p.Name)}");
                        if (!phases.TryGetValue(p.Name, out var keys))
                        {
                            continue;
                        }

                        foreach (var (k, n) in other)
                        {
                            if (IsPageTableWork(k) && keys.ContainsKey(k))
                            {
                                keys[k] -= n;
                            }
                        }
                    }
                }

                c._counts[w.Name] = phases;
                if (w.Value.TryGetProperty("xen_phases", out _))
                {
                    c._xen[w.Name] = Phases(w.Value, "xen_phases", at);
                }
                c._cpus[w.Name] = CpuPhases(w.Value, "cpus", at);
                c._cpusOther[w.Name] = CpuPhases(w.Value, "cpus_other", at);
                if (w.Value.TryGetProperty("present", out var pr))
                {
                    var byProcess = new Dictionary<int, List<ulong>>();
                    foreach (var proc in Object(pr, at + ".present").EnumerateObject())
                    {
                        if (!int.TryParse(proc.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var slot) || proc.Value.ValueKind != JsonValueKind.Array)
                        {
                            throw new InvalidDataException($"{at}.present.{Quote.Cut(proc.Name)}: expected a process slot and a list of addresses");
                        }

                        var list = new List<ulong>();
                        foreach (var a in proc.Value.EnumerateArray())
                        {
                            list.Add(Address(a, $"{at}.present.{slot}"));
                        }

                        byProcess[slot] = list;
                    }

                    c._present[w.Name] = byProcess;
                }

                if (w.Value.TryGetProperty("region", out var r))
                {
                    Object(r, at + ".region");
                    if (!r.TryGetProperty("start", out var s) || s.ValueKind != JsonValueKind.String || s.GetString() is not { } hex
                        || !hex.StartsWith("0x", StringComparison.Ordinal)
                        || !ulong.TryParse(hex[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start))
                    {
                        throw new InvalidDataException($"{at}.region.start: expected an address as a string such as \"0x7f0000000000\"");
                    }

                    if (!r.TryGetProperty("pages", out var pg) || pg.ValueKind != JsonValueKind.Number || !pg.TryGetInt32(out var pages) || pages < 1)
                    {
                        throw new InvalidDataException($"{at}.region.pages: expected a whole number of pages from 1");
                    }

                    c._regions[w.Name] = (start, pages);
                }
            }

            return c;
        }
    }

    /// <summary>A workload's <paramref name="section"/> ("phases", "xen_phases"): counts per phase; none when it is absent.</summary>
    private static Dictionary<string, Dictionary<string, long>> Phases(JsonElement workload, string section, string at)
    {
        var phases = new Dictionary<string, Dictionary<string, long>>();
        if (workload.TryGetProperty(section, out var ps))
        {
            foreach (var p in Object(ps, $"{at}.{section}").EnumerateObject())
            {
                phases[p.Name] = Counts(p.Value, $"{at}.{section}.{Quote.Cut(p.Name)}");
            }
        }

        return phases;
    }

    /// <summary>A workload's per-CPU section (<c>cpus</c>, <c>cpus_other</c>): phase → "cpuN" → counts, keyed "phase/cpuN".</summary>
    private static Dictionary<string, Dictionary<string, long>> CpuPhases(JsonElement workload, string section, string at)
    {
        var result = new Dictionary<string, Dictionary<string, long>>();
        if (workload.TryGetProperty(section, out var ps))
        {
            foreach (var p in Object(ps, $"{at}.{section}").EnumerateObject())
            {
                foreach (var cpu in Object(p.Value, $"{at}.{section}.{Quote.Cut(p.Name)}").EnumerateObject())
                {
                    if (!cpu.Name.StartsWith("cpu", StringComparison.Ordinal)
                        || !int.TryParse(cpu.Name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    {
                        throw new InvalidDataException($"{at}.{section}.{Quote.Cut(p.Name)}.{Quote.Cut(cpu.Name)}: expected a CPU such as \"cpu0\"");
                    }

                    result[PhaseCpu(p.Name, n)] = Counts(cpu.Value, $"{at}.{section}.{Quote.Cut(p.Name)}.{Quote.Cut(cpu.Name)}");
                }
            }
        }

        return result;
    }

    private static ulong Address(JsonElement e, string at) =>
        e.ValueKind == JsonValueKind.String && e.GetString() is { } hex && hex.StartsWith("0x", StringComparison.Ordinal)
        && ulong.TryParse(hex.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"{at}: expected an address as a string such as \"0x7f0000000000\"");

    private static JsonElement Object(JsonElement e, string at) =>
        e.ValueKind == JsonValueKind.Object ? e : throw new InvalidDataException($"{at}: expected an object, got {e.ValueKind.ToString().ToLowerInvariant()}");

    /// <summary>A phase's counts: tracepoint key to a whole number from 0.</summary>
    private static Dictionary<string, long> Counts(JsonElement e, string at)
    {
        var keys = new Dictionary<string, long>();
        foreach (var k in Object(e, at).EnumerateObject())
        {
            if (k.Value.ValueKind != JsonValueKind.Number || !k.Value.TryGetInt64(out var n) || n < 0)
            {
                throw new InvalidDataException($"{at}.{Quote.Cut(k.Name)}: expected a count (a whole number from 0), got {Quote.Cut(k.Value.GetRawText())}");
            }

            keys[k.Name] = n;
        }

        return keys;
    }

    /// <summary>The set_pte/pmd/pud/p4d, pin, unpin and page-table page events: work done by the task that fires them.</summary>
    private static bool IsPageTableWork(string key) =>
        key.StartsWith("xen_mmu_set_", StringComparison.Ordinal) || key.StartsWith("xen_mmu_alloc_ptpage", StringComparison.Ordinal)
        || key.StartsWith("xen_mmu_release_ptpage", StringComparison.Ordinal) || key.StartsWith("xen_mmu_pgd_", StringComparison.Ordinal);

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "?";
}
