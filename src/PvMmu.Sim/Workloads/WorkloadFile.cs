using System.Globalization;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Sched;
using PvMmu.Sim.Inputs;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PvMmu.Sim.Workloads;

/// <summary>
/// Reads a workload scenario file (YAML, docs/scenario-format.md): named program images, named initial processes
/// and one list of steps per vCPU, into a <see cref="WorkloadSpec"/>. Names become indices: images in file order;
/// process slots for the initial processes first, then one for each new fork child. Everything is checked before
/// the spec is built; the first problem throws a <see cref="ScenarioException"/> pointing at the node at fault.
/// The representation model is used (not deserialization) because every node keeps its line and column.
/// </summary>
public sealed class WorkloadFile
{
    /// <summary>The most pages a region, a stack, an exec or a touch may have (16 GiB of 4 KiB pages).</summary>
    public const int MaxPages = 4_194_304;

    /// <summary>Regions per image: an mm holds <see cref="MmTable.MaxVmas"/> VMAs and exec's stack takes one.</summary>
    public const int MaxRegions = MmTable.MaxVmas - 1;

    /// <summary>vCPUs: the machine keeps per-vCPU bitmaps in 64-bit words.</summary>
    public const int MaxVcpus = 64;

    /// <summary>Threads (mm users) of an initial process; a bound only so that typos fail early.</summary>
    public const int MaxThreads = 65_536;

    /// <summary>Signal/wait flags: the machine has 64.</summary>
    public const int Flags = 64;

    /// <summary>Files a workload may declare (the model keeps a VMA's file index in 11 bits).</summary>
    public const int MaxFiles = 2046;

    /// <summary>YAML nesting allowed (a workload file needs six levels); deeper input is refused before it can overflow the stack.</summary>
    public const int MaxDepth = 32;

    private const ulong PageSize = 4096;

    /// <summary>The end of the user half (TASK_SIZE rounded up: the canonical-address hole starts here).</summary>
    private const ulong UserLimit = 0x8000_0000_0000UL;

    private static readonly string[] TopKeys = ["name", "vcpus", "files", "images", "processes", "setup", "programs"];
    private static readonly string[] FileKeys = ["pages"];
    private static readonly string[] ImageKeys = ["stack", "regions"];
    private static readonly string[] RegionKeys = ["start", "pages", "writable"];
    private static readonly string[] ProcessKeys = ["name", "image", "cpu", "threads"];
    private static readonly string[] StepKinds = ["run", "kthread", "touch", "exit", "fork", "exec", "signal", "wait", "schedule", "vmap", "cow_write", "munmap", "mmap", "clone_thread", "mprotect", "sleep", "idle"];

    private readonly string _file;
    private readonly List<FileImage> _files = [];
    private readonly Dictionary<string, int> _fileIndex = new(StringComparer.Ordinal);
    private readonly List<UserRange> _ranges = [];
    private readonly List<ProcessImage> _images = [];
    private readonly Dictionary<string, int> _imageIndex = new(StringComparer.Ordinal);

    /// <summary>Process name → slot, in the order names are defined (initial processes, then fork children).</summary>
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);

    /// <summary>Names some earlier step (in file order) exits: only those may be reused as a fork's child.</summary>
    private readonly HashSet<string> _exited = new(StringComparer.Ordinal);

    /// <summary>
    /// Threads of each process that no exit step has ended yet, in file order: an exit ends one thread (do_exit of
    /// one task), so a process can exit as many times as it has threads, and a fork's child has one.
    /// </summary>
    private readonly Dictionary<string, int> _threadsLeft = new(StringComparer.Ordinal);

    /// <summary>
    /// Each process's mappings, by file order, in the order the model keeps its VMAs: the first is what a touch step
    /// without a start faults in. Setup maps the image's regions, then its stack; exec maps its stack, then the
    /// image's regions; a fork's child copies the parent's; mmap appends; munmap trims, splits (the upper part
    /// appended) or removes (the last mapping takes its place), as the model does.
    /// </summary>
    private readonly Dictionary<string, List<ParsedMapping>> _maps = new(StringComparer.Ordinal);

    /// <summary>Each process's ranges an mprotect made read-only (and no later mprotect or munmap gave back), with the line that did it.</summary>
    private readonly Dictionary<string, List<(ulong Start, ulong End, long Line)>> _readOnly = new(StringComparer.Ordinal);

    private readonly bool[] _signalled = new bool[Flags];
    private readonly List<(int Flag, YamlNode Node)> _waits = [];
    private int _vcpus;

    private WorkloadFile(string file) => _file = file;

    /// <summary>Reads and parses a scenario file; any problem, unreadable file included, is a <see cref="ScenarioException"/>.</summary>
    public static WorkloadSpec Load(string path)
    {
        string text;
        try
        {
            text = InputFile.ReadText(path);
        }
        catch (InputFileException e)
        {
            throw new ScenarioException(path, Math.Max(e.Line, 1), 1, e.Reason);
        }

        return Parse(text, path);
    }

    /// <summary>Parses scenario text; <paramref name="file"/> names it in errors and gives the default workload name.</summary>
    public static WorkloadSpec Parse(string text, string file) => new WorkloadFile(file).Read(text);

    private WorkloadSpec Read(string text)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            stream.Load(new DepthLimitedParser(new Parser(scanner), _file, MaxDepth));
        }
        catch (YamlException e)
        {
            throw Error(e.Start, "not valid YAML: " + e.Message);
        }
        catch (Exception e) when (e is not (ScenarioException or OutOfMemoryException))
        {
            // YamlDotNet's scanner throws plain exceptions on some malformed input (an unclosed '{' followed by a
            // 'key:' line, aaubry/YamlDotNet#541); where it stopped is still known.
            throw Error(scanner.CurrentPosition, "not valid YAML: cannot read on from here (an unclosed '[' or '{' above?)");
        }

        if (stream.Documents.Count == 0)
        {
            throw new ScenarioException(_file, 1, 1, "the file is empty; expected a mapping with vcpus, images, processes and programs");
        }

        if (stream.Documents.Count > 1)
        {
            throw At(stream.Documents[1].RootNode, "one workload per file; this is a second YAML document");
        }

        var root = Mapping(stream.Documents[0].RootNode, "a mapping with vcpus, images, processes and programs");
        var top = Keys(root, TopKeys, "at the top level");
        var name = top.TryGetValue("name", out var n) ? Text(n, "the workload's name") : DefaultName();
        _vcpus = Int(Required(root, top, "vcpus", "at the top level"), "vcpus", 1, MaxVcpus);
        if (top.TryGetValue("files", out var files))
        {
            ReadFiles(files);
        }

        ReadImages(Required(root, top, "images", "at the top level"));
        var processes = ReadProcesses(Required(root, top, "processes", "at the top level"));
        var setup = top.TryGetValue("setup", out var sn) ? ReadPrograms(sn, "setup") : null;
        var programs = ReadPrograms(Required(root, top, "programs", "at the top level"), "programs");
        var spec = new WorkloadSpec
        {
            Name = name,
            Vcpus = _vcpus,
            Images = [.. _images],
            Processes = processes,
            Setup = setup,
            Programs = programs,
            ProcessSlots = _slots.Count,
            Files = [.. _files],
            Ranges = [.. _ranges],
            ProcessNames = [.. _slots.OrderBy(s => s.Value).Select(s => s.Key)],
        };
        if (spec.FramesNeeded() > WorkloadSpec.MaxFrames)
        {
            throw new ScenarioException(_file, 1, 1, $"the workload can need {spec.FramesNeeded()} frames of guest memory (every image, exec and touch counted); the model boots at most {WorkloadSpec.MaxFrames} (64 GiB)");
        }

        return spec;
    }

    private string DefaultName()
    {
        var name = Path.GetFileNameWithoutExtension(_file);
        return string.IsNullOrEmpty(name) ? "scenario" : name;
    }

    /// <summary>files: NAME → { pages: N }: the files mmap steps may map, each cached whole (one frame a page).</summary>
    private void ReadFiles(YamlNode node)
    {
        var map = Mapping(node, "files: a mapping from file name to { pages }");
        foreach (var (key, value) in map.Children)
        {
            var name = Text(key, "a file name");
            if (_fileIndex.ContainsKey(name))
            {
                throw At(key, $"file '{name}' is defined twice");
            }

            if (_fileIndex.Count == MaxFiles)
            {
                throw At(key, $"more than {MaxFiles} files");
            }

            var fm = Mapping(value, $"file '{name}': a mapping with pages");
            var keys = Keys(fm, FileKeys, $"in file '{name}'");
            var pages = Int(Required(fm, keys, "pages", $"in file '{name}'"), "pages", 1, MaxPages);
            _fileIndex[name] = _files.Count;
            _files.Add(new FileImage(name, pages));
        }
    }

    private void ReadImages(YamlNode node)
    {
        var map = Mapping(node, "images: a mapping from image name to { stack, regions }");
        if (map.Children.Count == 0)
        {
            throw At(map, "no images; define at least one");
        }

        foreach (var (key, value) in map.Children)
        {
            var name = Text(key, "an image name");
            if (!_imageIndex.TryAdd(name, _images.Count))
            {
                throw At(key, $"image '{name}' is defined twice");
            }

            _images.Add(ReadImage(name, value));
        }
    }

    private ProcessImage ReadImage(string name, YamlNode node)
    {
        var map = Mapping(node, $"image '{name}': a mapping with stack and regions");
        var keys = Keys(map, ImageKeys, $"in image '{name}'");
        var stack = keys.TryGetValue("stack", out var s) ? Int(s, "stack pages", 0, MaxPages) : 0;
        var stackBottom = StackBottom(stack);
        var regions = new List<(MemoryRegion Region, YamlNode Node)>();
        if (keys.TryGetValue("regions", out var rs))
        {
            foreach (var item in Sequence(rs, "regions: a list of { start, pages }").Children)
            {
                if (regions.Count == MaxRegions)
                {
                    throw At(item, $"image '{name}' has more than {MaxRegions} regions (an mm has {MmTable.MaxVmas} VMAs and the stack takes one)");
                }

                var region = ReadRegion(item);
                var end = region.Start + ((ulong)region.Pages * PageSize);
                if (end > stackBottom)
                {
                    throw At(item, stack > 0
                        ? $"region {Range(region.Start, end)} overlaps the stack area {Range(stackBottom, ProcessImage.StackTop)}"
                        : $"region {Range(region.Start, end)} runs past 0x{ProcessImage.StackTop:x}, the top of the user stack");
                }

                foreach (var (other, otherNode) in regions)
                {
                    var otherEnd = other.Start + ((ulong)other.Pages * PageSize);
                    if (region.Start < otherEnd && other.Start < end)
                    {
                        throw At(item, $"region {Range(region.Start, end)} overlaps region {Range(other.Start, otherEnd)} (line {otherNode.Start.Line})");
                    }
                }

                regions.Add((region, item));
            }
        }

        if (stack == 0 && regions.Count == 0)
        {
            throw At(map, $"image '{name}' maps nothing; give it regions or stack pages");
        }

        return new ProcessImage(name, [.. regions.Select(r => r.Region)], stack);
    }

    private MemoryRegion ReadRegion(YamlNode node)
    {
        var map = Mapping(node, "a region: { start: ADDRESS, pages: N }");
        var keys = Keys(map, RegionKeys, "in a region");
        var startNode = Required(map, keys, "start", "in a region");
        if (!TryNumber(startNode, out var start))
        {
            throw At(startNode, $"expected start: an address (0x... or decimal), found {Describe(startNode)}");
        }

        if (start >= UserLimit)
        {
            throw At(startNode, $"start 0x{start:x} is not a user address (user space ends at 0x{UserLimit:x})");
        }

        if (start % PageSize != 0)
        {
            throw At(startNode, $"start 0x{start:x} is not page-aligned (a multiple of 0x1000)");
        }

        var pages = Int(Required(map, keys, "pages", "in a region"), "pages", 1, MaxPages);
        var writable = !keys.TryGetValue("writable", out var w) || Flag(w, "writable");
        return new MemoryRegion(start, pages, writable);
    }

    private List<InitialProcess> ReadProcesses(YamlNode node)
    {
        var seq = Sequence(node, "processes: a list of { name, image, cpu, threads }");
        if (seq.Children.Count == 0)
        {
            throw At(seq, "no processes; define at least one");
        }

        var list = new List<InitialProcess>();
        foreach (var item in seq.Children)
        {
            var map = Mapping(item, "a process: { name, image, cpu, threads }");
            var keys = Keys(map, ProcessKeys, "in a process");
            var nameNode = Required(map, keys, "name", "in a process");
            var name = Text(nameNode, "a process name");
            var image = ImageRef(Required(map, keys, "image", "in a process"));
            var cpu = keys.TryGetValue("cpu", out var c) ? Int(c, "cpu", 0, _vcpus - 1, $" (vcpus is {_vcpus})") : 0;
            var threads = keys.TryGetValue("threads", out var t) ? Int(t, "threads", 1, MaxThreads) : 1;
            if (!_slots.TryAdd(name, _slots.Count))
            {
                throw At(nameNode, $"process '{name}' is defined twice");
            }

            var im = _images[image];
            var maps = new List<ParsedMapping>();
            for (var r = 0; r < im.Regions.Length; r++)
            {
                maps.Add(new(im.Regions[r].Start, im.Regions[r].Pages, r == 0 ? $"the first region of image '{im.Name}'" : $"region {r + 1} of image '{im.Name}'", ReadOnly: !im.Regions[r].Writable));
            }

            if (im.StackPages > 0)
            {
                maps.Add(new(StackBottom(im.StackPages), im.StackPages, $"the stack of image '{im.Name}'"));
            }

            _maps[name] = maps;
            _readOnly[name] = [];

            _threadsLeft[name] = threads;
            list.Add(new InitialProcess(image, threads, cpu));
        }

        return list;
    }

    private Op[][] ReadPrograms(YamlNode node, string what)
    {
        var map = Mapping(node, $"{what}: a mapping from vCPU number to a list of steps");
        var programs = new Op[_vcpus][];
        var seen = new YamlNode?[_vcpus];
        var steps = 0;
        foreach (var (key, value) in map.Children)
        {
            var cpu = Int(key, "a vCPU", 0, _vcpus - 1, $" (vcpus is {_vcpus})");
            if (seen[cpu] is { } first)
            {
                throw At(key, $"vCPU {cpu} has a program already (line {first.Start.Line})");
            }

            seen[cpu] = key;
            var ops = new List<Op>();
            foreach (var step in Sequence(value, $"vCPU {cpu}'s program: a list of steps").Children)
            {
                ops.Add(Step(step));
            }

            programs[cpu] = [.. ops];
            steps += ops.Count;
        }

        if (steps == 0)
        {
            throw At(map, $"the {what} have no steps; give at least one vCPU a step");
        }

        foreach (var (flag, at) in _waits)
        {
            if (!_signalled[flag])
            {
                throw At(at, $"no step signals flag {flag}, so this wait would never end");
            }
        }

        for (var c = 0; c < _vcpus; c++)
        {
            programs[c] ??= [];
        }

        return programs;
    }

    private Op Step(YamlNode node)
    {
        var kinds = string.Join(", ", StepKinds);
        if (node is YamlScalarNode scalar)
        {
            if (scalar.Value == "kthread")
            {
                return new Op(OpKind.Kthread);
            }

            if (scalar.Value is "sleep" or "idle")
            {
                return new Op(OpKind.Sleep);
            }

            throw At(node, $"unknown step {Describe(node)}; expected kthread, or a mapping such as 'run: NAME' (steps: {kinds})");
        }

        var map = Mapping(node, $"a step (one of: {kinds})");
        string? kind = null;
        YamlNode arg = node;
        foreach (var (key, value) in map.Children)
        {
            var k = Text(key, "a step kind");
            if (!StepKinds.Contains(k))
            {
                continue;
            }

            if (kind != null)
            {
                throw At(key, $"'{kind}' and '{k}' in one step; start each step with its own '- '");
            }

            kind = k;
            arg = value;
        }

        if (kind == null)
        {
            var first = map.Children.Count == 0 ? map : map.Children[0].Key;
            throw At(first, $"unknown step {Describe(first)}; expected one of: {kinds}");
        }

        string[] allowed = kind switch
        {
            "touch" => ["touch", "pages", "start"],
            "cow_write" => ["cow_write", "pages", "start"],
            "munmap" => ["munmap", "start", "pages"],
            "mprotect" => ["mprotect", "start", "pages", "prot"],
            "mmap" => ["mmap", "start", "pages", "file", "shared"],
            "fork" => ["fork", "child"],
            "exec" => ["exec", "image", "stack"],
            _ => [kind],
        };
        var keys = Keys(map, allowed, $"in a {kind} step");
        switch (kind)
        {
            case "run":
                return new Op(OpKind.Run, Process(arg));
            case "exit":
            {
                var slot = Process(arg);
                var who = Text(arg, "a process name");
                if (_threadsLeft.GetValueOrDefault(who) == 0)
                {
                    throw At(arg, $"process '{who}' has no thread left to exit: every one of its threads already exits in an earlier step (one exit step per thread)");
                }

                _threadsLeft[who]--;
                _exited.Add(who);
                return new Op(OpKind.Exit, slot);
            }

            case "touch":
                return Touch(map, arg, keys);
            case "cow_write":
                return CowWrite(map, arg, keys);
            case "munmap":
                return MunmapStep(map, arg, keys);
            case "mprotect":
                return MprotectStep(map, arg, keys);
            case "mmap":
                return Mmap(map, arg, keys);
            case "clone_thread":
            {
                var slot = Process(arg);
                _threadsLeft[Text(arg, "a process name")]++;
                return new Op(OpKind.CloneThread, slot);
            }

            case "sleep" or "idle":
                if (!IsNothing(arg))
                {
                    throw At(arg, $"{kind} takes no argument, found {Describe(arg)}");
                }

                return new Op(OpKind.Sleep);
            case "fork":
                return Fork(map, arg, keys);
            case "exec":
                return Exec(map, arg, keys);
            case "signal":
            {
                var flag = Int(arg, "a flag", 0, Flags - 1);
                _signalled[flag] = true;
                return new Op(OpKind.Signal, 0, flag);
            }

            case "wait":
            {
                var flag = Int(arg, "a flag", 0, Flags - 1);
                _waits.Add((flag, arg));
                return new Op(OpKind.Wait, 0, flag);
            }

            // A kernel thread's vmap_pfn of that many pages in lazy MMU mode, then their vunmap (OpKind.Vmap).
            case "vmap":
                return new Op(OpKind.Vmap, 0, Int(arg, "pages", 1, 16));

            // Free scheduling (OpKind.Schedule): again and again a kernel thread, the named process, or halt
            // (which ends the program); with no process, kernel threads and halt only.
            case "schedule":
                return new Op(OpKind.Schedule, IsNothing(arg) ? -1 : Process(arg));

            default:
                if (!IsNothing(arg))
                {
                    throw At(arg, $"kthread takes no argument, found {Describe(arg)}");
                }

                return new Op(OpKind.Kthread);
        }
    }

    /// <summary>
    /// A touch faults pages from the start of the process's first mapping; beyond its end they would belong to no
    /// VMA (and, past the stack, to no user address), so it may not ask for more pages than that mapping has.
    /// </summary>
    private Op Touch(YamlMappingNode map, YamlNode processNode, Dictionary<string, YamlNode> keys)
    {
        var process = Process(processNode);
        if (keys.ContainsKey("start"))
        {
            var (r, _) = ReadRange(map, processNode, keys, "touch", anonymousOnly: false, writes: true);
            return new Op(OpKind.TouchRange, process, AddRange(r));
        }

        var pagesNode = Required(map, keys, "pages", "in a touch step");
        var pages = Int(pagesNode, "pages", 1, MaxPages);
        var name = Text(processNode, "a process name");
        var maps = _maps[name];
        if (maps.Count == 0)
        {
            throw At(processNode, $"'{name}' has no mapping left to touch (every one was unmapped)");
        }

        var (start, max, what) = (maps[0].Start, maps[0].Pages, maps[0].What);
        CheckWritable(name, start, start + ((ulong)Math.Min(pages, max) << 12), pagesNode, maps[0]);
        if (pages > max)
        {
            throw At(pagesNode, max == 0
                ? $"'{name}' has nothing to touch: its first mapping, {what}, is empty"
                : $"a touch faults pages of the first mapping of '{name}', here {what} ({max} pages at 0x{start:x}); expected pages: a number from 1 to {max}, found {Describe(pagesNode)}");
        }

        return new Op(OpKind.Touch, process, pages);
    }

    /// <summary>A range step's range, by index in the spec's <see cref="WorkloadSpec.Ranges"/>.</summary>
    private int AddRange(UserRange r)
    {
        _ranges.Add(r);
        return _ranges.Count - 1;
    }

    /// <summary>
    /// The range of a cow_write, munmap, mprotect or touch step: <c>start</c> (default: the start of the process's
    /// first mapping, where the step allows it) and <c>pages</c>, inside one mapping of the process. Returns the range
    /// and the index of that mapping in the process's list.
    /// </summary>
    private (UserRange Range, int Mapping) ReadRange(YamlMappingNode map, YamlNode processNode, Dictionary<string, YamlNode> keys, string kind, bool anonymousOnly, bool writes)
    {
        var name = Text(processNode, "a process name");
        var maps = _maps[name];
        ulong start;
        YamlNode at;
        if (keys.TryGetValue("start", out var startNode))
        {
            start = Address(startNode);
            at = startNode;
        }
        else if (maps.Count > 0)
        {
            start = maps[0].Start;
            at = processNode;
        }
        else
        {
            throw At(processNode, $"'{name}' has no mapping left; give the {kind} step a start");
        }

        var pagesNode = Required(map, keys, "pages", $"in a {kind} step");
        var pages = Int(pagesNode, "pages", 1, MaxPages);
        var end = start + ((ulong)pages << 12);
        var index = maps.FindIndex(m => start >= m.Start && start < m.End);
        if (index < 0)
        {
            throw At(at, $"0x{start:x} is in no mapping of '{name}' at this point ({Mappings(maps)})");
        }

        var m = maps[index];
        if (end > m.End)
        {
            throw At(pagesNode, $"a {kind} step's range stays inside one mapping: {m.What} is {Range(m.Start, m.End)}, so from 0x{start:x} at most {(m.End - start) >> 12} pages; found {Describe(pagesNode)}");
        }

        if (anonymousOnly && m.File >= 0)
        {
            throw At(at, $"a {kind} step needs anonymous memory; {Range(m.Start, m.End)} of '{name}' maps file '{_files[m.File].Name}'");
        }

        if (m.ReadOnly && kind is "cow_write" or "mprotect")
        {
            // A touch there is a read (the page is mapped read-only); a write would be a SIGSEGV, and the model keeps
            // no VM_MAYWRITE to let an mprotect make text writable.
            throw At(at, $"a {kind} step needs writable memory; {Range(m.Start, m.End)} of '{name}' is {m.What}, mapped writable: false");
        }

        if (writes && (m.File < 0 || m.Shared))
        {
            CheckWritable(name, start, end, at, m);
        }

        return (new UserRange(start, pages), index);
    }

    /// <summary>A write to [start, end) of a private mapping an earlier mprotect made read-only would be a SIGSEGV.</summary>
    private void CheckWritable(string name, ulong start, ulong end, YamlNode at, ParsedMapping m)
    {
        foreach (var (s, e, line) in _readOnly[name])
        {
            if (s < end && start < e)
            {
                throw At(at, $"{Range(Math.Max(s, start), Math.Min(e, end))} of '{name}' ({m.What}) is read-only since the mprotect on line {line}; a write there would be a SIGSEGV");
            }
        }
    }

    private static string Mappings(List<ParsedMapping> maps) =>
        maps.Count == 0 ? "it has none" : "it has " + string.Join(", ", maps.Select(m => Range(m.Start, m.End)));

    /// <summary>cow_write: write faults on a range of a private anonymous mapping (default: the first mapping, from its start).</summary>
    private Op CowWrite(YamlMappingNode map, YamlNode processNode, Dictionary<string, YamlNode> keys)
    {
        var process = Process(processNode);
        var (r, _) = ReadRange(map, processNode, keys, "cow_write", anonymousOnly: true, writes: true);
        return new Op(OpKind.CowWrite, process, AddRange(r));
    }

    /// <summary>munmap: a range of one mapping; the reader's list changes as the model's VMAs will.</summary>
    private Op MunmapStep(YamlMappingNode map, YamlNode processNode, Dictionary<string, YamlNode> keys)
    {
        var process = Process(processNode);
        Required(map, keys, "start", "in a munmap step");
        var (r, index) = ReadRange(map, processNode, keys, "munmap", anonymousOnly: false, writes: false);
        var name = Text(processNode, "a process name");
        var maps = _maps[name];
        var m = maps[index];
        if (r.Start == m.Start && r.End == m.End)
        {
            // Removed whole: the last mapping takes its place (Munmap.ShrinkVma).
            maps[index] = maps[^1];
            maps.RemoveAt(maps.Count - 1);
        }
        else if (r.Start == m.Start)
        {
            maps[index] = m with { Start = r.End, Pages = (int)((m.End - r.End) >> 12) };
        }
        else if (r.End == m.End)
        {
            maps[index] = m with { Pages = (int)((r.Start - m.Start) >> 12) };
        }
        else
        {
            if (maps.Count == MmTable.MaxVmas)
            {
                throw At(map, $"this munmap splits {m.What} in two, and '{name}' has {MmTable.MaxVmas} mappings already (the model's most)");
            }

            maps[index] = m with { Pages = (int)((r.Start - m.Start) >> 12) };
            maps.Add(m with { Start = r.End, Pages = (int)((m.End - r.End) >> 12) });
        }

        _readOnly[name] = Subtract(_readOnly[name], r.Start, r.End);
        return new Op(OpKind.Munmap, process, AddRange(r));
    }

    /// <summary>mprotect: a range of one anonymous mapping, <c>prot: r</c> (PROT_READ) or <c>prot: rw</c> (PROT_READ|PROT_WRITE).</summary>
    private Op MprotectStep(YamlMappingNode map, YamlNode processNode, Dictionary<string, YamlNode> keys)
    {
        var process = Process(processNode);
        Required(map, keys, "start", "in an mprotect step");
        var (r, _) = ReadRange(map, processNode, keys, "mprotect", anonymousOnly: true, writes: false);
        var protNode = Required(map, keys, "prot", "in an mprotect step");
        var prot = protNode is YamlScalarNode { Value: "r" or "rw" } p ? p.Value : throw At(protNode, $"expected prot: r (PROT_READ) or rw (PROT_READ|PROT_WRITE), found {Describe(protNode)}");
        var name = Text(processNode, "a process name");
        var ro = Subtract(_readOnly[name], r.Start, r.End);
        if (prot == "r")
        {
            ro.Add((r.Start, r.End, protNode.Start.Line));
        }

        _readOnly[name] = ro;
        return new Op(OpKind.Mprotect, process, AddRange(r with { Writable = prot == "rw" }));
    }

    /// <summary>[start, end) taken out of every range of <paramref name="ranges"/>.</summary>
    private static List<(ulong Start, ulong End, long Line)> Subtract(List<(ulong Start, ulong End, long Line)> ranges, ulong start, ulong end)
    {
        var left = new List<(ulong Start, ulong End, long Line)>();
        foreach (var (s, e, line) in ranges)
        {
            if (e <= start || s >= end)
            {
                left.Add((s, e, line));
                continue;
            }

            if (s < start)
            {
                left.Add((s, start, line));
            }

            if (e > end)
            {
                left.Add((end, e, line));
            }
        }

        return left;
    }

    /// <summary>mmap: a new mapping, anonymous or of a declared file (private read-only, or <c>shared: true</c>).</summary>
    private Op Mmap(YamlMappingNode map, YamlNode processNode, Dictionary<string, YamlNode> keys)
    {
        var process = Process(processNode);
        var name = Text(processNode, "a process name");
        var startNode = Required(map, keys, "start", "in an mmap step");
        var start = Address(startNode);
        var pagesNode = Required(map, keys, "pages", "in an mmap step");
        var pages = Int(pagesNode, "pages", 1, MaxPages);
        var end = start + ((ulong)pages << 12);
        if (end > UserLimit)
        {
            throw At(pagesNode, $"the mapping {Range(start, end)} runs past the end of user space (0x{UserLimit:x})");
        }

        var file = -1;
        var what = $"the mapping made by the mmap on line {map.Start.Line}";
        if (keys.TryGetValue("file", out var fileNode))
        {
            var fileName = Text(fileNode, "a file name");
            if (!_fileIndex.TryGetValue(fileName, out file))
            {
                throw At(fileNode, _files.Count == 0
                    ? $"unknown file '{fileName}'; declare it at the top level: files: {{ {fileName}: {{ pages: N }} }}"
                    : $"unknown file '{fileName}'; files: {string.Join(", ", _fileIndex.Keys)}");
            }

            if (pages > _files[file].Pages)
            {
                throw At(pagesNode, $"file '{fileName}' has {_files[file].Pages} pages; expected pages: a number from 1 to {_files[file].Pages}, found {Describe(pagesNode)}");
            }

            what = $"the mapping of file '{fileName}' made on line {map.Start.Line}";
        }

        var shared = false;
        if (keys.TryGetValue("shared", out var sharedNode))
        {
            shared = Flag(sharedNode, "shared");
            if (shared && file < 0)
            {
                throw At(sharedNode, "shared: true needs a file (shared anonymous memory is shmem, not modeled)");
            }
        }

        var maps = _maps[name];
        foreach (var m in maps)
        {
            if (start < m.End && m.Start < end)
            {
                throw At(startNode, $"the mapping {Range(start, end)} overlaps {m.What} {Range(m.Start, m.End)} of '{name}' (MAP_FIXED_NOREPLACE); munmap it first");
            }
        }

        if (maps.Count == MmTable.MaxVmas)
        {
            throw At(map, $"'{name}' has {MmTable.MaxVmas} mappings already (the model's most)");
        }

        maps.Add(new ParsedMapping(start, pages, what, file, shared));
        return new Op(OpKind.Mmap, process, AddRange(new UserRange(start, pages, file, shared)));
    }

    /// <summary>A page-aligned user address.</summary>
    private ulong Address(YamlNode node)
    {
        if (!TryNumber(node, out var start))
        {
            throw At(node, $"expected start: an address (0x... or decimal), found {Describe(node)}");
        }

        if (start >= UserLimit)
        {
            throw At(node, $"start 0x{start:x} is not a user address (user space ends at 0x{UserLimit:x})");
        }

        if (start % PageSize != 0)
        {
            throw At(node, $"start 0x{start:x} is not page-aligned (a multiple of 0x1000)");
        }

        return start;
    }

    /// <summary>A fork: the child's name gets a new slot, or the slot of a name an earlier step exited.</summary>
    private Op Fork(YamlMappingNode map, YamlNode parentNode, Dictionary<string, YamlNode> keys)
    {
        var parent = Process(parentNode);
        var childNode = Required(map, keys, "child", "in a fork step");
        var child = Text(childNode, "the child's process name");
        if (child == Text(parentNode, "a process name"))
        {
            throw At(childNode, $"process '{child}' cannot be its own child");
        }

        if (_slots.TryGetValue(child, out var slot))
        {
            // Reusing a live process's slot would lose its mm; only an exit earlier in the file frees the name.
            if (!_exited.Remove(child))
            {
                throw At(childNode, $"process '{child}' is still in use; a fork's child needs a new name, or one an earlier exit step ended");
            }
        }
        else
        {
            slot = _slots.Count;
            _slots.Add(child, slot);
        }

        _threadsLeft[child] = 1;
        var parentName = Text(parentNode, "a process name");
        _maps[child] = [.. _maps[parentName]];
        _readOnly[child] = [.. _readOnly[parentName]];
        return new Op(OpKind.Fork, parent, slot);
    }

    /// <summary>An exec: of a named image (<see cref="OpKind.ExecImage"/>) or of a stack-only program (<see cref="OpKind.Exec"/>).</summary>
    private Op Exec(YamlMappingNode map, YamlNode processNode, Dictionary<string, YamlNode> keys)
    {
        var process = Process(processNode);
        var hasImage = keys.TryGetValue("image", out var image);
        var hasStack = keys.TryGetValue("stack", out var stack);
        if (hasImage && hasStack)
        {
            throw At(stack!, "an exec step takes image or stack, not both");
        }

        var name = Text(processNode, "a process name");
        if (hasImage)
        {
            var index = ImageRef(image!);
            var im = _images[index];
            var pages = im.StackPages;
            var maps = new List<ParsedMapping> { new(StackBottom(pages), pages, $"the stack exec built for image '{im.Name}'") };
            for (var r = 0; r < im.Regions.Length; r++)
            {
                maps.Add(new(im.Regions[r].Start, im.Regions[r].Pages, $"region {r + 1} of image '{im.Name}'", ReadOnly: !im.Regions[r].Writable));
            }

            _maps[name] = maps;
            _readOnly[name] = [];
            return new Op(OpKind.ExecImage, process, index);
        }

        if (hasStack)
        {
            var pages = Int(stack!, "stack pages", 1, MaxPages);
            _maps[name] = [new(StackBottom(pages), pages, "the stack exec built")];
            _readOnly[name] = [];
            return new Op(OpKind.Exec, process, pages);
        }

        throw At(map, "an exec step needs image: NAME (a program image) or stack: PAGES (a stack-only program)");
    }

    private int Process(YamlNode node)
    {
        var name = Text(node, "a process name");
        if (!_slots.TryGetValue(name, out var slot))
        {
            throw At(node, $"unknown process '{name}'; define it under processes, or as the child of a fork step earlier in the file");
        }

        return slot;
    }

    private int ImageRef(YamlNode node)
    {
        var name = Text(node, "an image name");
        if (!_imageIndex.TryGetValue(name, out var index))
        {
            throw At(node, $"unknown image '{name}'; images: {string.Join(", ", _imageIndex.Keys)}");
        }

        return index;
    }

    /// <summary>The mapping's entries by key, after checking every key is one of <paramref name="allowed"/>.</summary>
    private Dictionary<string, YamlNode> Keys(YamlMappingNode map, string[] allowed, string where)
    {
        var keys = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Children)
        {
            var k = Text(key, "a key");
            if (!allowed.Contains(k))
            {
                throw At(key, $"unknown key '{k}' {where}; allowed: {string.Join(", ", allowed)}");
            }

            keys[k] = value;
        }

        return keys;
    }

    private YamlNode Required(YamlMappingNode map, Dictionary<string, YamlNode> keys, string key, string where) =>
        keys.TryGetValue(key, out var value) ? value : throw At(map, $"missing key '{key}' {where}");

    private YamlMappingNode Mapping(YamlNode node, string what) =>
        node as YamlMappingNode ?? throw At(node, $"expected {what}, found {Describe(node)}");

    private YamlSequenceNode Sequence(YamlNode node, string what) =>
        node as YamlSequenceNode ?? throw At(node, $"expected {what}, found {Describe(node)}");

    private string Text(YamlNode node, string what) =>
        node is YamlScalarNode { Value: { } v } && !IsNothing(node) ? v : throw At(node, $"expected {what}, found {Describe(node)}");

    private int Int(YamlNode node, string what, int min, int max, string note = "") =>
        TryNumber(node, out var v) && v >= (ulong)min && v <= (ulong)max
            ? (int)v
            : throw At(node, $"expected {what}: a number from {min} to {max}{note}, found {Describe(node)}");

    /// <summary>A non-negative number: decimal or 0x hex, with '_' allowed between digits (0x7f00_0000_0000).</summary>
    private static bool TryNumber(YamlNode node, out ulong value)
    {
        value = 0;
        if (node is not YamlScalarNode { Value: { } raw } || raw.StartsWith('_') || raw.EndsWith('_'))
        {
            return false;
        }

        var s = raw.Replace("_", string.Empty, StringComparison.Ordinal);
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return s.Length > 2 && ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        return s.Length > 0 && s.All(char.IsAsciiDigit) && ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>An empty value: a key with nothing after it, or YAML's null.</summary>
    private static bool IsNothing(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ when IsNothing(node) => "nothing",
        YamlScalarNode s => $"'{OneLine(s.Value ?? string.Empty)}'",
        _ => "something else",
    };

    /// <summary>
    /// A scalar as an error quotes it: on one line (a plain scalar runs on over an indented next line, so a stray
    /// line can end up inside it) and at most 60 characters.
    /// </summary>
    private static string OneLine(string value)
    {
        var v = value.ReplaceLineEndings("\\n");
        return v.Length <= 60 ? v : v[..57] + "...";
    }

    private static ulong StackBottom(int pages) => ProcessImage.StackTop - ((ulong)pages * PageSize);

    private static string Range(ulong start, ulong end) => $"[0x{start:x}, 0x{end:x})";

    /// <summary>The value of key <paramref name="key"/>, which must be <c>true</c> or <c>false</c>.</summary>
    private bool Flag(YamlNode node, string key) =>
        node is YamlScalarNode { Value: "true" or "false" } b ? b.Value == "true" : throw At(node, $"expected {key}: true or false, found {Describe(node)}");

    private ScenarioException At(YamlNode node, string message) => Error(node.Start, message);

    private ScenarioException Error(Mark at, string message) =>
        new(_file, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column), message);
}
