using PvMmu.Linux;
using PvMmu.Xen;

namespace PvMmu.Explore.Checks;

/// <summary>
/// The parts of states a search has already checked clean, by fingerprint, so that they are not checked again: the
/// hypervisor's state (I1–I8 read nothing else) and the part of the guest's that its per-frame rules read
/// (<see cref="Kernel.FramesFingerprint()"/>). A search meets few of either: exit-vs-switch on 8 vCPUs has 42,282
/// distinct states and 30 distinct hypervisor states. Only clean parts are remembered, so a violation is always
/// reported in full; trusting a 64-bit fingerprint here is trusting it as the visited set does. One per model:
/// a search thread owns its model.
/// </summary>
public sealed class CheckMemo
{
    private readonly HashSet<ulong> _xen = [];
    private readonly HashSet<ulong> _frames = [];

    public bool KnownXen(Hypervisor h) => _xen.Contains(h.Fingerprint());

    public void XenClean(Hypervisor h) => _xen.Add(h.Fingerprint());

    /// <summary>Whether the frames part with this <see cref="Kernel.FramesFingerprint()"/> was checked clean.</summary>
    public bool KnownFrames(ulong framesFingerprint) => _frames.Contains(framesFingerprint);

    public void FramesClean(ulong framesFingerprint) => _frames.Add(framesFingerprint);
}
