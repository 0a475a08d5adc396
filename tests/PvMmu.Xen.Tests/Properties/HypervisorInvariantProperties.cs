using CsCheck;
using PvMmu.Xen.Invariants;

namespace PvMmu.Xen.Tests.Properties;

/// <summary>
/// Whatever a guest sends, from up to four vCPUs, the hypervisor model's invariants (docs/xen-rules.md#invariants) hold
/// after every step: incremental counts equal a recount, no writable mapping or TLB entry reaches an in-use page-table
/// frame, no freed frame is referenced, and no operation hits an internal inconsistency. CsCheck prints the seed of a
/// failing sequence and shrinks it; set CsCheck_Seed to rerun it.
/// </summary>
public sealed class HypervisorInvariantProperties
{
    private static readonly Gen<FuzzOp> Op =
        Gen.Select(Gen.Int[0, FuzzRunner.Kinds - 1], Gen.Int[0, 3], Gen.Int[0, 63], Gen.Int[0, 63], Gen.Int[0, 11], Gen.Int[0, 11], Gen.Int[0, 0xFFF], Gen.Int[0, 255])
            .Select(t => new FuzzOp(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7, t.Item8));

    private static readonly Gen<(int Vcpus, FuzzOp[] Ops)> Sequence =
        Gen.Select(Gen.Int[1, 4], Op.Array[1, 32]);

    private static void Holds(XenVersion version, (int Vcpus, FuzzOp[] Ops) s)
    {
        var h = new Hypervisor(FuzzRunner.Config(version, s.Vcpus));

        // Xen 4.8 has no XSA-286 flush: translations through replaced upper tables may stay cached there.
        var checker = new InvariantChecker { CheckStalePaths = version == XenVersion.Current };
        for (var i = 0; i < s.Ops.Length; i++)
        {
            FuzzRunner.Apply(h, s.Ops[i]);
            var errors = checker.Check(h);
            if (errors.Count > 0)
            {
                throw new InvalidOperationException($"after step {i} ({s.Ops[i]}): {string.Join("; ", errors)}");
            }

            if (version == XenVersion.Current && h.HostCrash != null)
            {
                throw new InvalidOperationException($"after step {i} ({s.Ops[i]}): host crash: {h.HostCrash}");
            }
        }
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void CurrentXenInvariantsHoldForEveryGuestSequence() =>
        Sequence.Sample(s => Holds(XenVersion.Current, s), iter: 100_000, print: Print);

    [Trait("Category", "Slow")]
    [Fact]
    public void Xen48InvariantsHoldForEveryGuestSequence() =>
        Sequence.Sample(s => Holds(XenVersion.Xen48, s), iter: 25_000, print: Print);

    private static string Print((int Vcpus, FuzzOp[] Ops) s) => $"{s.Vcpus} vCPUs: " + string.Join(" | ", s.Ops);
}
