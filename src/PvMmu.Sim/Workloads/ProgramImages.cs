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
        [new(Text, 12), new(Data, 12), new(LibcText, 80), new(LibcData, 8), new(LdSo, 24)], 8);

    /// <summary>lmbench's hello: the smallest dynamically linked program (it only writes one line).</summary>
    public static ProcessImage Hello { get; } = new("hello",
        [new(Text, 1), new(Data, 2), new(LibcText, 40), new(LibcData, 6), new(LdSo, 24)], 4);

    /// <summary>/bin/sh of the time (bash): a large text, its data and heap, libc, libtermcap, ld.so.</summary>
    public static ProcessImage Shell { get; } = new("sh",
        [new(Text, 120), new(Data, 40), new(LibcText, 60), new(LibcData, 8), new(LdSo, 24), new(OtherLib, 8)], 8);

    /// <summary>A compiler proper (cc1) compiling one file: a large text and a large heap.</summary>
    public static ProcessImage Cc1 { get; } = new("cc1",
        [new(Text, 1200), new(Data, 60), new(Heap, 1800), new(LibcText, 60), new(LibcData, 8), new(LdSo, 24)], 16);

    /// <summary>The assembler (as).</summary>
    public static ProcessImage As { get; } = new("as",
        [new(Text, 150), new(Data, 20), new(Heap, 200), new(LibcText, 40), new(LibcData, 6), new(LdSo, 24)], 8);

    /// <summary>The compiler driver (gcc), which execs cc1 or as.</summary>
    public static ProcessImage GccDriver { get; } = new("gcc",
        [new(Text, 60), new(Data, 10), new(Heap, 30), new(LibcText, 40), new(LibcData, 6), new(LdSo, 24)], 8);

    /// <summary>make: the parent of every compile job.</summary>
    public static ProcessImage Make { get; } = new("make",
        [new(Text, 40), new(Data, 10), new(Heap, 120), new(LibcText, 50), new(LibcData, 6), new(LdSo, 24)], 8);
}
