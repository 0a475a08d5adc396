using PvMmu.Linux.Mm;

namespace PvMmu.Sim.Workloads;

/// <summary>
/// The program images the built-in workloads use: resident pages per mapping, as the page-table code sees a
/// process once it has run. The lmbench ones are estimates for Linux 2.6.12-era binaries (the calibration's
/// setting; docs/calibration.md says how they were chosen); every mapping is placed as the x86-64 loader would,
/// so the number of page-table pages is realistic too.
/// </summary>
public static class ProgramImages
{
    private const ulong Text = 0x0040_0000UL;
    private const ulong Data = 0x0080_0000UL;
    private const ulong Heap = 0x0100_0000UL;
    private const ulong LibcText = 0x7F00_0000_0000UL;
    private const ulong LibcData = 0x7F00_0020_0000UL;
    private const ulong LdSo = 0x7F00_0040_0000UL;
    private const ulong OtherLib = 0x7F00_0060_0000UL;

    /// <summary>lmbench's lat_proc: a small dynamically linked C program (text, data and heap, libc, ld.so, stack).</summary>
    public static ProcessImage LatProc { get; } = new("lat_proc",
        [new(Text, 12, Writable: false), new(Data, 12), new(LibcText, 80, Writable: false), new(LibcData, 8), new(LdSo, 24, Writable: false)], 8);

    /// <summary>lmbench's hello: the smallest dynamically linked program (it only writes one line).</summary>
    public static ProcessImage Hello { get; } = new("hello",
        [new(Text, 1, Writable: false), new(Data, 2), new(LibcText, 40, Writable: false), new(LibcData, 6), new(LdSo, 24, Writable: false)], 4);

    /// <summary>/bin/sh of the time (bash): a large text, its data and heap, libc, libtermcap, ld.so.</summary>
    public static ProcessImage Shell { get; } = new("sh",
        [new(Text, 120, Writable: false), new(Data, 40), new(LibcText, 60, Writable: false), new(LibcData, 8), new(LdSo, 24, Writable: false), new(OtherLib, 8)], 8);

    /// <summary>
    /// User-mode µs per minor page fault of a real kernel build: a measured Linux kernel and modules build
    /// (M. Vermeulen, "kernel build" profile, mvermeulen.org/perf/?p=615, perf stat on 16 cores at 3.6 GHz): utime
    /// 57,169.074 s over 2,366,900,036 minor faults, 24.15 µs each.
    /// </summary>
    public const double UserMicrosPerFault = 57_169.074e6 / 2_366_900_036;

    /// <summary>System µs per minor fault of the same build: stime 9,330.941 s, 3.94 µs each (14 % of its CPU time).</summary>
    public const double SystemMicrosPerFault = 9_330.941e6 / 2_366_900_036;

    /// <summary>
    /// The part of <see cref="SystemMicrosPerFault"/> the model already counts: the native fault itself (SOSP 2003
    /// Table 5, 1.42 µs × 2.4/3.786, priors.toml's page_fault). The rest is the kernel work the model has no event for.
    /// </summary>
    public const double ModeledFaultMicros = 0.9;

    /// <summary>
    /// <paramref name="image"/> with the compute of one run of a compile job: user-mode and uncounted kernel µs in the
    /// measured build's proportion to its minor faults (<see cref="UserMicrosPerFault"/>), one fault per resident page.
    /// </summary>
    public static ProcessImage CompileJob(ProcessImage image) => image with
    {
        UserMicros = (long)Math.Round(UserMicrosPerFault * image.TotalPages),
        KernelMicros = (long)Math.Round((SystemMicrosPerFault - ModeledFaultMicros) * image.TotalPages),
    };

    /// <summary>A compiler proper (cc1) compiling one file: a large text and a large heap; it computes (<see cref="CompileJob"/>).</summary>
    public static ProcessImage Cc1 { get; } = CompileJob(new("cc1",
        [new(Text, 1200, Writable: false), new(Data, 60), new(Heap, 1800), new(LibcText, 60, Writable: false), new(LibcData, 8), new(LdSo, 24, Writable: false)], 16));

    /// <summary>The assembler (as); it computes (<see cref="CompileJob"/>).</summary>
    public static ProcessImage As { get; } = CompileJob(new("as",
        [new(Text, 150, Writable: false), new(Data, 20), new(Heap, 200), new(LibcText, 40, Writable: false), new(LibcData, 6), new(LdSo, 24, Writable: false)], 8));

    /// <summary>The compiler driver (gcc), which execs cc1 or as; it computes (<see cref="CompileJob"/>).</summary>
    public static ProcessImage GccDriver { get; } = CompileJob(new("gcc",
        [new(Text, 60, Writable: false), new(Data, 10), new(Heap, 30), new(LibcText, 40, Writable: false), new(LibcData, 6), new(LdSo, 24, Writable: false)], 8));

    /// <summary>make: the parent of every compile job.</summary>
    public static ProcessImage Make { get; } = new("make",
        [new(Text, 40, Writable: false), new(Data, 10), new(Heap, 120), new(LibcText, 50, Writable: false), new(LibcData, 6), new(LdSo, 24, Writable: false)], 8);
}
