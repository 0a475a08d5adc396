using PvMmu.Linux.Boot;
using PvMmu.Linux.Mm;

namespace PvMmu.Linux.Tests;

/// <summary>
/// What a fingerprint covers: every VMA an mm has, and nothing a munmap or an exit left past its count (no walk reads
/// those, so states that differ only there behave alike and a search must count them once). The scheduler's fingerprint, taken
/// with the kernel's in one buffer, is the explorer's (tests/PvMmu.Explore.Tests, SchedulerFingerprintTests).
/// </summary>
public sealed class FingerprintTests
{
    private const ulong Start = 0x40_0000UL;

    /// <summary>
    /// The buffer copies spans itself, a word at a time with an overlapping last word: every byte of a span of any
    /// length counts (a change to any one changes the hash), and the bytes around it do not spill in.
    /// </summary>
    [Fact]
    public void EveryByteOfASpanOfAnyLengthCounts()
    {
        static ulong Hash(byte[] bytes, int length)
        {
            var b = FingerprintBuffer.Start();
            b.Add(7UL);
            b.Add((ReadOnlySpan<byte>)bytes.AsSpan(0, length));
            b.Add(9UL);
            return b.Hash();
        }

        for (var n = 0; n <= 300; n++)
        {
            var bytes = new byte[n + 8];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)(i * 37);
            }

            var h = Hash(bytes, n);
            bytes[n] ^= 0xff;
            Assert.Equal(h, Hash(bytes, n));
            for (var i = 0; i < n; i++)
            {
                bytes[i] ^= 1;
                Assert.NotEqual(h, Hash(bytes, n));
                bytes[i] ^= 1;
            }

            Assert.Equal(h, Hash(bytes, n));
        }
    }

    [Fact]
    public void VmaEntriesPastTheCountAreNotHashedAndThoseWithinAre()
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = 1024 });
        var mm = MmOps.CreateMm(k, 0);
        MmOps.MapAnonymous(k, mm, Start, 4);
        MmOps.MapAnonymous(k, mm, Start + 0x10_0000, 4);

        // Unmapping the first VMA whole moves the second into its slot and leaves a stale copy past the count.
        Munmap.Unmap(k, 0, mm, Start, 4);
        var row = mm * MmTable.MaxVmas;
        Assert.Equal(1, k.Mms.VmaCount[mm]);
        Assert.Equal(Start + 0x10_0000, k.Mms.VmaStart[row + 1]);
        var before = k.Fingerprint();

        k.Mms.VmaStart[row + 1] = 0;
        k.Mms.VmaEnd[row + 1] = 0;
        Assert.Equal(before, k.Fingerprint());

        k.Mms.VmaEnd[row] += 0x1000;
        Assert.NotEqual(before, k.Fingerprint());
    }
}
