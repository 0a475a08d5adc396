using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Sched;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Tests.Workloads;

/// <summary>
/// Workload scenario files: a valid file becomes exactly the spec it describes, the examples parse (and run
/// cleanly), and malformed input is refused with file:line:column pointing at the node at fault.
/// </summary>
public sealed class WorkloadFileTests
{
    private const string File = "t.yaml";

    /// <summary>Every step kind, reused names, defaults, hex with '_' and a flow-style image.</summary>
    private const string Valid = """
        name: two-compile-jobs
        vcpus: 3
        images:
          make:
            stack: 8
            regions:
              - { start: 0x400000, pages: 40 }
              - { start: 0x7f00_0000_0000, pages: 50 }
          cc1: { stack: 16, regions: [ { start: 4194304, pages: 1200 }, { start: 0x1000000, pages: 1800 } ] }
          heap: { regions: [ { start: 0x400000, pages: 64 } ] }
        processes:
          - { name: make0, image: make, cpu: 1, threads: 2 }
          - { name: idle, image: heap }
        programs:
          2:
            - run: make0
            - fork: make0
              child: job0
            - run: job0
            - exec: job0
              image: cc1
            - touch: job0
              pages: 16
            - exit: job0
            - kthread
            - signal: 1
            - fork: make0
              child: job0
            - fork: make0
              child: job1
            - exec: job1
              stack: 12
          0:
            - wait: 1
            - touch: make0
              pages: 10
            - kthread:
            - exit: idle
        """;

    [Fact]
    public void AValidFileParsesIntoTheExactSpec()
    {
        var spec = WorkloadFile.Parse(Valid, File);

        Assert.Equal("two-compile-jobs", spec.Name);
        Assert.Equal(3, spec.Vcpus);
        Assert.Equal(0, spec.Frames);
        Assert.Equal(["make", "cc1", "heap"], spec.Images.Select(i => i.Name));
        Assert.Equal([new MemoryRegion(0x40_0000, 40), new MemoryRegion(0x7F00_0000_0000, 50)], spec.Images[0].Regions);
        Assert.Equal([new MemoryRegion(0x40_0000, 1200), new MemoryRegion(0x100_0000, 1800)], spec.Images[1].Regions);
        Assert.Equal([new MemoryRegion(0x40_0000, 64)], spec.Images[2].Regions);
        Assert.Equal([8, 16, 0], spec.Images.Select(i => i.StackPages));
        Assert.Equal([new InitialProcess(0, 2, 1), new InitialProcess(2, 1, 0)], spec.Processes);

        // Slots: make0 0, idle 1, job0 2 (reused after its exit), job1 3.
        Assert.Equal(4, spec.ProcessSlots);
        Assert.Equal(
        [
            new(OpKind.Wait, 0, 1), new(OpKind.Touch, 0, 10), new(OpKind.Kthread), new(OpKind.Exit, 1),
        ], spec.Programs[0]);
        Assert.Empty(spec.Programs[1]);
        Assert.Equal(
        [
            new(OpKind.Run, 0), new(OpKind.Fork, 0, 2), new(OpKind.Run, 2), new(OpKind.ExecImage, 2, 1),
            new(OpKind.Touch, 2, 16), new(OpKind.Exit, 2), new(OpKind.Kthread), new(OpKind.Signal, 0, 1),
            new(OpKind.Fork, 0, 2), new(OpKind.Fork, 0, 3), new(OpKind.Exec, 3, 12),
        ], spec.Programs[2]);
    }

    /// <summary>Every step for what a process does after the start, with a file, defaults and reuse of a range's process.</summary>
    private const string ProcessSteps = """
        vcpus: 2
        files:
          libc: { pages: 32 }
        images:
          a: { stack: 4, regions: [ { start: 0x400000, pages: 16 } ] }
        processes:
          - { name: p, image: a }
        programs:
          0:
            - fork: p
              child: c
            - cow_write: c
              pages: 8
            - cow_write: p
              start: 0x404000
              pages: 4
            - mmap: p
              start: 0x7f00_0000_0000
              pages: 32
              file: libc
            - mmap: c
              start: 0x1000000
              pages: 10
            - touch: c
              start: 0x1000000
              pages: 10
            - mprotect: c
              start: 0x1002000
              pages: 3
              prot: r
            - munmap: c
              start: 0x1001000
              pages: 2
            - touch: c
              start: 0x1005000
              pages: 5
            - clone_thread: p
            - sleep
            - idle:
            - exit: p
            - exit: p
        """;

    [Fact]
    public void TheProcessStepsParseIntoOpsAndTheirRanges()
    {
        var spec = WorkloadFile.Parse(ProcessSteps, File);

        Assert.Equal([new FileImage("libc", 32)], spec.Files);
        Assert.Equal(
        [
            new(OpKind.Fork, 0, 1), new(OpKind.CowWrite, 1, 0), new(OpKind.CowWrite, 0, 1), new(OpKind.Mmap, 0, 2),
            new(OpKind.Mmap, 1, 3), new(OpKind.TouchRange, 1, 4), new(OpKind.Mprotect, 1, 5), new(OpKind.Munmap, 1, 6),
            new(OpKind.TouchRange, 1, 7), new(OpKind.CloneThread, 0), new(OpKind.Sleep), new(OpKind.Sleep),
            new(OpKind.Exit, 0), new(OpKind.Exit, 0),
        ], spec.Programs[0]);
        Assert.Equal(
        [
            new UserRange(0x40_0000, 8), new UserRange(0x40_4000, 4), new UserRange(0x7F00_0000_0000, 32, File: 0),
            new UserRange(0x100_0000, 10), new UserRange(0x100_0000, 10), new UserRange(0x100_2000, 3, Writable: false),
            new UserRange(0x100_1000, 2), new UserRange(0x100_5000, 5),
        ], spec.Ranges);

        // The file's pages are frames of their own, and each copy-on-write page or touched page needs one.
        Assert.True(spec.FramesNeeded() >= 1024 + 32 + 8 + 4 + 10 + 5);
        AssertRunsCleanly(spec);
    }

    [Fact]
    public void TheNameDefaultsToTheFileName()
    {
        var text = Valid.Replace("name: two-compile-jobs\n", string.Empty, StringComparison.Ordinal);
        Assert.Equal("my-jobs", WorkloadFile.Parse(text, "dir/my-jobs.yaml").Name);
    }

    [Fact]
    public void AnUnreadableFileIsAScenarioError()
    {
        var path = Path.Combine(Path.GetTempPath(), "pvmmu-no-such-dir", "missing.yaml");
        var e = Assert.Throws<ScenarioException>(() => WorkloadFile.Load(path));
        Assert.StartsWith($"{path}:1:1: cannot read: ", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> Examples() =>
        [.. Directory.GetFiles(Path.Combine(RepoRoot(), "examples", "workloads"), "*.yaml").Select(f => Path.GetFileName(f)).Order()];

    /// <summary>Each example parses, and runs with no warning or violation on a few interleavings.</summary>
    [Theory]
    [MemberData(nameof(Examples))]
    public void TheExampleFilesParseAndRunCleanly(string name)
    {
        var spec = WorkloadFile.Load(Path.Combine(RepoRoot(), "examples", "workloads", name));
        Assert.Equal(Path.GetFileNameWithoutExtension(name), spec.Name);
        AssertRunsCleanly(spec);
        Assert.True(Examples().Count >= 2);
    }

    /// <summary>The example in docs/scenario-format.md is a valid file too.</summary>
    [Fact]
    public void TheDocumentedExampleParsesAndRunsCleanly()
    {
        var doc = System.IO.File.ReadAllText(Path.Combine(RepoRoot(), "docs", "scenario-format.md"));
        var section = doc[doc.IndexOf("## Workload scenario files", StringComparison.Ordinal)..];
        var start = section.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var yaml = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
        var spec = WorkloadFile.Parse(yaml, "scenario-format.md");
        Assert.Equal("two-compile-jobs", spec.Name);
        AssertRunsCleanly(spec);
    }

    private static void AssertRunsCleanly(WorkloadSpec spec)
    {
        for (ulong seed = 0; seed < 3; seed++)
        {
            var r = WorkloadRunner.Run(spec, new Linux61(), seed, XenVersion.Current, checkEveryMove: seed == 0);
            Assert.True(r.GuestViolations.Count == 0, string.Join("; ", r.GuestViolations));
            Assert.Empty(r.XenViolations);
            Assert.Empty(r.WarningList);
            Assert.Empty(r.Oopses);
        }
    }

    /// <summary>Two examples restate built-in workloads: the file and the catalog must agree op for op.</summary>
    [Theory]
    [InlineData("lat-proc-sh", 1, 0)]
    [InlineData("lazy-exit", 2, 1024)]
    public void ExamplesMatchTheirBuiltInWorkloads(string name, int vcpus, int pages)
    {
        var file = WorkloadFile.Load(Path.Combine(RepoRoot(), "examples", "workloads", name + ".yaml"));
        var builtIn = WorkloadCatalog.Build(name, vcpus, pages, seed: 0);
        Assert.Equal(builtIn.Vcpus, file.Vcpus);
        Assert.Equal(builtIn.Images.Count, file.Images.Count);
        for (var i = 0; i < builtIn.Images.Count; i++)
        {
            Assert.Equal(builtIn.Images[i].Regions, file.Images[i].Regions);
            Assert.Equal(builtIn.Images[i].StackPages, file.Images[i].StackPages);
        }

        Assert.Equal(builtIn.Processes, file.Processes);
        Assert.Equal(builtIn.Programs, file.Programs);
    }

    private const string Head = "vcpus: 2\nimages:\n  a: { stack: 4, regions: [ { start: 0x400000, pages: 16 } ] }\n";
    private const string Procs = "processes:\n  - { name: p, image: a }\n";
    private const string HeadF = "vcpus: 2\nfiles:\n  f: { pages: 4 }\nimages:\n  a: { stack: 4, regions: [ { start: 0x400000, pages: 16 } ] }\n";

    /// <summary>Malformed input: the error names the file, the line and column of the node at fault, and what was expected.</summary>
    [Theory]
    // YAML itself: an unclosed flow mapping (on which YamlDotNet throws a plain exception), a duplicate key.
    [InlineData("vcpus: 1\nimages: { a: { stack: 1 }\nprocesses: []\n", 3, 1, "not valid YAML: cannot read on from here")]
    [InlineData("vcpus: 1\nimages: [ a\n", 3, 1, "not valid YAML: While parsing a flow sequence")]
    [InlineData("vcpus: 1\nvcpus: 2\n", 2, 1, "Duplicate key")]
    [InlineData("", 1, 1, "the file is empty")]
    [InlineData("- vcpus: 1\n", 1, 1, "expected a mapping with vcpus")]
    // The top level.
    [InlineData("vcpu: 1\n", 1, 1, "unknown key 'vcpu' at the top level; allowed: name, vcpus, files, images, processes, setup, programs")]
    [InlineData("images: {}\n", 1, 1, "missing key 'vcpus' at the top level")]
    [InlineData("vcpus: 0\n", 1, 8, "expected vcpus: a number from 1 to 64, found '0'")]
    [InlineData("name: x\nvcpus: 65\n", 2, 8, "from 1 to 64, found '65'")]
    [InlineData("vcpus: [2]\n", 1, 8, "expected vcpus: a number from 1 to 64, found a list")]
    // Images and regions.
    [InlineData("vcpus: 1\nimages: [a]\n", 2, 9, "expected images: a mapping from image name to { stack, regions }, found a list")]
    [InlineData("vcpus: 1\nimages:\n  a: { stack: 4, region: [] }\n", 3, 18, "unknown key 'region' in image 'a'; allowed: stack, regions")]
    [InlineData("vcpus: 1\nimages:\n  a:\n    regions:\n      - { start: 0x400800, pages: 1 }\n", 5, 18, "start 0x400800 is not page-aligned")]
    [InlineData("vcpus: 1\nimages:\n  a:\n    regions:\n      - { start: 0x800000000000, pages: 1 }\n", 5, 18, "start 0x800000000000 is not a user address")]
    [InlineData("vcpus: 1\nimages:\n  a:\n    regions:\n      - { start: 0x400000, pages: 16 }\n      - { start: 0x40f000, pages: 1 }\n", 6, 9, "region [0x40f000, 0x410000) overlaps region [0x400000, 0x410000) (line 5)")]
    [InlineData("vcpus: 1\nimages:\n  a:\n    stack: 4\n    regions:\n      - { start: 0x7fffffffc000, pages: 1 }\n", 6, 9, "overlaps the stack area [0x7fffffffb000, 0x7ffffffff000)")]
    [InlineData("vcpus: 1\nimages:\n  a:\n    regions: [ { start: 0, pages: 1 }, { start: 0x1000, pages: 1 }, { start: 0x2000, pages: 1 }, { start: 0x3000, pages: 1 }, { start: 0x4000, pages: 1 }, { start: 0x5000, pages: 1 }, { start: 0x6000, pages: 1 }, { start: 0x7000, pages: 1 },\n      { start: 0x8000, pages: 1 }, { start: 0x9000, pages: 1 }, { start: 0xa000, pages: 1 }, { start: 0xb000, pages: 1 }, { start: 0xc000, pages: 1 }, { start: 0xd000, pages: 1 }, { start: 0xe000, pages: 1 }, { start: 0xf000, pages: 1 } ]\n", 5, 210, "has more than 15 regions")]
    [InlineData("vcpus: 1\nimages:\n  a: { regions: [ { start: 0x400000, pages: 0 } ] }\n", 3, 45, "expected pages: a number from 1 to 4194304, found '0'")]
    [InlineData("vcpus: 1\nimages:\n  a: { regions: [ { start: 0x400000, pages: 4194305 } ] }\n", 3, 45, "from 1 to 4194304, found '4194305'")]
    [InlineData("vcpus: 1\nimages:\n  a: { regions: [ { start: 0x400000 } ] }\n", 3, 19, "missing key 'pages' in a region")]
    [InlineData("vcpus: 1\nimages:\n  a: { stack: 0 }\n", 3, 6, "image 'a' maps nothing")]
    // Processes.
    [InlineData(Head + "processes:\n  - { name: p, image: b }\n", 5, 23, "unknown image 'b'; images: a")]
    [InlineData(Head + "processes:\n  - { name: p, image: a, cpu: 2 }\n", 5, 31, "expected cpu: a number from 0 to 1 (vcpus is 2), found '2'")]
    [InlineData(Head + "processes:\n  - { name: p, image: a, threads: 0 }\n", 5, 35, "expected threads: a number from 1 to 65536, found '0'")]
    [InlineData(Head + "processes:\n  - { image: a }\n", 5, 5, "missing key 'name' in a process")]
    [InlineData(Head + "processes:\n  - { name: p, image: a }\n  - { name: p, image: a }\n", 6, 13, "process 'p' is defined twice")]
    // Programs.
    [InlineData(Head + Procs + "programs:\n  2: [ run: p ]\n", 7, 3, "expected a vCPU: a number from 0 to 1 (vcpus is 2), found '2'")]
    [InlineData(Head + Procs + "programs:\n  first: [ run: p ]\n", 7, 3, "found 'first'")]
    [InlineData(Head + Procs + "programs:\n  0: []\n  1: []\n", 7, 3, "the programs have no steps")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - run: q\n", 8, 12, "unknown process 'q'")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - run: c\n  1:\n    - fork: p\n      child: c\n", 8, 12, "unknown process 'c'")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - fork: p\n      child: c\n    - fork: p\n      child: c\n", 11, 14, "process 'c' is still in use")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - jump: p\n", 8, 7, "unknown step 'jump'; expected one of: run, kthread, touch, exit, fork, exec, signal, wait")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - yield\n", 8, 7, "unknown step 'yield'")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - { run: p, exit: p }\n", 8, 17, "'run' and 'exit' in one step")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - fork: p\n      chld: c\n", 9, 7, "unknown key 'chld' in a fork step; allowed: fork, child")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - touch: p\n", 8, 7, "missing key 'pages' in a touch step")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - touch: p\n      pages: 17\n", 9, 14, "here the first region of image 'a' (16 pages at 0x400000); expected pages: a number from 1 to 16")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - exec: p\n      image: a\n      stack: 4\n", 10, 14, "an exec step takes image or stack, not both")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - exec: p\n", 8, 7, "an exec step needs image: NAME")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - exec: p\n      stack: 0\n", 9, 14, "expected stack pages: a number from 1 to 4194304, found '0'")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - signal: 64\n", 8, 15, "expected a flag: a number from 0 to 63, found '64'")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - signal: 1\n  1:\n    - wait: 2\n", 10, 13, "no step signals flag 2, so this wait would never end")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - kthread: p\n", 8, 16, "kthread takes no argument, found 'p'")]
    [InlineData(Head + Procs + "programs:\n  0:\n    run: p\n", 8, 5, "expected vCPU 0's program: a list of steps, found a mapping")]
    // The process steps.
    [InlineData("vcpus: 2\nimages:\n  a: { stack: 4, regions: [ { start: 0x400000, pages: 16, writable: no } ] }\n", 3, 69, "expected writable: true or false, found 'no'")]
    [InlineData("vcpus: 2\nimages:\n  a: { stack: 4, regions: [ { start: 0x400000, pages: 16, writable: false } ] }\n" + Procs + "programs:\n  0:\n    - cow_write: p\n      start: 0x400000\n      pages: 1\n", 9, 14, "a cow_write step needs writable memory; [0x400000, 0x410000) of 'p' is the first region of image 'a', mapped writable: false")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - cow_write: p\n      pages: 17\n", 9, 14, "a cow_write step's range stays inside one mapping: the first region of image 'a' is [0x400000, 0x410000), so from 0x400000 at most 16 pages")]
    [InlineData(HeadF + Procs + "programs:\n  0:\n    - mmap: p\n      start: 0x1000000\n      pages: 4\n      file: f\n    - cow_write: p\n      start: 0x1000000\n      pages: 1\n", 15, 14, "a cow_write step needs anonymous memory")]
    [InlineData(HeadF + Procs + "programs:\n  0:\n    - mmap: p\n      start: 0x1000000\n      pages: 5\n      file: f\n", 12, 14, "file 'f' has 4 pages")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - mmap: p\n      start: 0x1000000\n      pages: 4\n      file: g\n", 11, 13, "unknown file 'g'; declare it at the top level")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - mmap: p\n      start: 0x400000\n      pages: 1\n", 9, 14, "overlaps the first region of image 'a' [0x400000, 0x410000)")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - mmap: p\n      start: 0x1000000\n      pages: 1\n      shared: true\n", 11, 15, "shared: true needs a file")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - mmap: p\n      begin: 0\n", 9, 7, "unknown key 'begin' in a mmap step; allowed: mmap, start, pages, file, shared")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - mprotect: p\n      start: 0x400000\n      pages: 1\n      prot: x\n", 11, 13, "expected prot: r (PROT_READ) or rw (PROT_READ|PROT_WRITE), found 'x'")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - mprotect: p\n      start: 0x400000\n      pages: 4\n      prot: r\n    - touch: p\n      pages: 2\n", 13, 14, "[0x400000, 0x402000) of 'p' (the first region of image 'a') is read-only since the mprotect on line 11")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - munmap: p\n      pages: 1\n", 8, 7, "missing key 'start' in a munmap step")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - munmap: p\n      start: 0x2000000\n      pages: 1\n", 9, 14, "0x2000000 is in no mapping of 'p' at this point")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - munmap: p\n      start: 0x400000\n      pages: 16\n    - touch: p\n      start: 0x400000\n      pages: 1\n", 12, 14, "0x400000 is in no mapping of 'p' at this point (it has [0x7fffffffb000, 0x7ffffffff000))")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - sleep: p\n", 8, 14, "sleep takes no argument, found 'p'")]
    [InlineData(Head + Procs + "programs:\n  0:\n    - clone_thread: p\n    - exit: p\n    - exit: p\n    - exit: p\n", 11, 13, "process 'p' has no thread left to exit")]
    [InlineData("vcpus: 1\nfiles:\n  f: { size: 4 }\n", 3, 8, "unknown key 'size' in file 'f'; allowed: pages")]
    [InlineData("vcpus: 1.5\n\n  - kthread\n", 1, 8, "expected vcpus: a number from 1 to 64, found '1.5\\n- kthread'")]
    [InlineData("vcpus: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 1, 8, "found 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'")]
    public void MalformedInputPointsAtTheProblem(string text, int line, int column, string expected)
    {
        var e = Assert.Throws<ScenarioException>(() => WorkloadFile.Parse(text, File));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal((File, line, column), (e.File, e.Line, e.Column));
        Assert.StartsWith($"{File}:{line}:{column}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Never a crash for bad input: thousands of random edits of the examples (characters YAML cares about
    /// inserted, characters and lines deleted or repeated) each give a spec or a <see cref="ScenarioException"/>
    /// with a position inside the text.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(Examples))]
    public void RandomEditsGiveASpecOrAScenarioError(string name)
    {
        const string Significant = " \n\t:-[]{},#&*!|>'\"%@?~0123456789x_abc";
        var original = System.IO.File.ReadAllText(Path.Combine(RepoRoot(), "examples", "workloads", name));
        var rng = new Random(name.Length);
        for (var i = 0; i < 2000; i++)
        {
            var text = original;
            for (var edits = rng.Next(1, 4); edits > 0; edits--)
            {
                var at = rng.Next(text.Length);
                var lineStart = text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
                var lineEnd = text.IndexOf('\n', at) is var e and >= 0 ? e + 1 : text.Length;
                text = rng.Next(5) switch
                {
                    0 => text.Remove(at, 1),
                    1 => text.Remove(lineStart, lineEnd - lineStart),
                    2 => text.Insert(lineStart, text[lineStart..lineEnd]),
                    _ => text.Insert(at, Significant[rng.Next(Significant.Length)].ToString()),
                };
            }

            try
            {
                WorkloadFile.Parse(text, File);
            }
            catch (ScenarioException x)
            {
                Assert.InRange(x.Line, 1, text.Split('\n').Length);
                Assert.True(x.Column >= 1, x.Message);
            }
        }
    }

    [Fact]
    public void DeepNestingIsRefusedNotAStackOverflow()
    {
        var text = "vcpus: " + new string('[', 100_000) + new string(']', 100_000) + "\n";
        var e = Assert.Throws<ScenarioException>(() => WorkloadFile.Parse(text, File));
        Assert.Equal((1, 8 + WorkloadFile.MaxDepth - 1), (e.Line, e.Column));
        Assert.Contains($"nested more than {WorkloadFile.MaxDepth} levels deep", e.Message, StringComparison.Ordinal);
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(d.FullName, "PvMmu.slnx")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("PvMmu.slnx not found above " + AppContext.BaseDirectory);
    }
}
