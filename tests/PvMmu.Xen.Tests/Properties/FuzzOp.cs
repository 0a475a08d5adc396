namespace PvMmu.Xen.Tests.Properties;

/// <summary>One random guest action, as small integers the generator can shrink.</summary>
public readonly record struct FuzzOp(int Kind, int Vcpu, int A, int B, int Slot, int Slot2, int Flags, int Extra)
{
    public override string ToString() => $"{FuzzRunner.KindName(Kind)} v{Vcpu} a={A} b={B} slot={Slot}/{Slot2} flags={Flags:x} x={Extra}";
}
