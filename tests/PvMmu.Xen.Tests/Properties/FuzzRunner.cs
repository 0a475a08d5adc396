using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Tests.Properties;

/// <summary>
/// Turns <see cref="FuzzOp"/>s into hypercalls and guest accesses on a small machine. Frames, slots and flags are
/// drawn from small sets so that random writes build real trees (an unchecked write to an untyped frame is
/// allowed), pins validate them, and addresses walk through them.
/// </summary>
public static class FuzzRunner
{
    public const int Kinds = 19;
    public const int GuestFrames = 16;

    /// <summary>
    /// Slots that page-table indices are drawn from: mostly three (a user slot, its neighbour, the kernel's), so
    /// that addresses often walk through the trees that earlier writes built; sometimes Xen's or the last.
    /// </summary>
    private static readonly int[] Slots = [0, 1, 273, 0, 1, 273, 0, 1, 273, 256, 258, 511];

    public static HypervisorConfig Config(XenVersion v, int vcpus) => new()
    {
        Vcpus = vcpus,
        XenFrames = 2,
        GuestFrames = GuestFrames,
        OtherFrames = 1,
        FreeFrames = 2,
        Version = v,
        TlbEntries = 8,
    };

    public static string KindName(int k) => k switch
    {
        0 => "mmu_update",
        1 => "mmu_update x2",
        2 => "pin",
        3 => "unpin",
        4 => "new_baseptr",
        5 => "new_user_baseptr",
        6 => "update_va_mapping",
        7 => "store",
        8 => "xchg",
        9 => "load",
        10 => "flush",
        11 => "multicall",
        12 => "iret/syscall",
        13 => "vcpu_initialise",
        14 => "memory_op",
        15 => "misc mmuext",
        16 => "build chain",
        17 => "build chain and switch",
        _ => "pin data page as L1",
    };

    /// <summary>A frame: mostly the guest's, sometimes Xen's, the other guest's, a free one or not RAM.</summary>
    private static uint Frame(Hypervisor h, int a)
    {
        var c = h.Config;
        return (a % 21) switch
        {
            < 16 => c.FirstGuestFrame + (uint)(a % 21),
            16 => 0,
            17 => 1,
            18 => c.FirstOtherFrame,
            19 => c.FirstFreeFrame,
            _ => (uint)c.TotalFrames + 3,
        };
    }

    private static ulong Flags(int f)
    {
        // Mostly sane entries (P with RW/U), sometimes a disallowed bit.
        ulong e = 0;
        if ((f & 0x3) != 0)
        {
            e |= PageFlags.Present;
        }

        if ((f & 0x4) != 0)
        {
            e |= PageFlags.Rw;
        }

        if ((f & 0x8) != 0)
        {
            e |= PageFlags.User;
        }

        if ((f & 0x70) == 0x70)
        {
            e |= (f & 0x40) != 0 ? PageFlags.Pse : PageFlags.Pcd;
        }

        if ((f & 0x80) != 0)
        {
            e |= PageFlags.Accessed | PageFlags.Dirty;
        }

        if ((f & 0x100) != 0)
        {
            e |= PageFlags.Global;
        }

        return e;
    }

    private static ulong Entry(Hypervisor h, int a, int f) => (f & 0x3) == 0 && (f & 0x200) == 0 ? 0 : PageFlags.Entry(Frame(h, a), Flags(f));

    private static ulong Va(int slot, int slot2, int extra)
    {
        ulong va = ((ulong)Slots[slot % Slots.Length] << 39) | ((ulong)Slots[slot2 % Slots.Length] << 30)
            | ((ulong)Slots[extra % Slots.Length] << 21) | ((ulong)Slots[(extra / 7) % Slots.Length] << 12);
        if ((va & (1UL << 47)) != 0)
        {
            va |= 0xFFFF_0000_0000_0000UL;
        }

        return va + ((ulong)(extra % 4) * 8);
    }

    /// <summary>
    /// An address the vCPU's current tables map, found by following present entries from its base pointer
    /// (rotating the starting slot by <paramref name="choice"/>), or a random one when the walk dead-ends or
    /// one time in four, so that faults stay common too.
    /// </summary>
    private static ulong MappedVa(Hypervisor h, int v, int slot, int slot2, int choice)
    {
        var info = h.Vcpu(v);
        var table = info.KernelMode ? info.GuestTable : info.GuestTableUser;
        if (table == 0 || choice % 4 == 0)
        {
            return Va(slot, slot2, choice);
        }

        ulong va = 0;
        for (var level = 4; level >= 1; level--)
        {
            var found = -1;
            for (var k = 0; k < 512 && found < 0; k++)
            {
                var s = (k + (choice * 37)) % 512;
                if (level == 4 && s is >= 256 and <= 271)
                {
                    continue;
                }

                if ((h.Entry(table, s) & PageFlags.Present) != 0)
                {
                    found = s;
                }
            }

            if (found < 0)
            {
                return Va(slot, slot2, choice);
            }

            va |= (ulong)found << (12 + (9 * (level - 1)));
            table = PageFlags.Mfn(h.Entry(table, found));
        }

        if ((va & (1UL << 47)) != 0)
        {
            va |= 0xFFFF_0000_0000_0000UL;
        }

        return va + ((ulong)(choice % 4) * 8);
    }

    public static void Apply(Hypervisor h, FuzzOp op)
    {
        var v = op.Vcpu % h.VcpuCount;
        var slot = Slots[op.Slot % Slots.Length];
        switch (op.Kind % Kinds)
        {
            case 0:
                h.MmuUpdate(v, [Request(h, op.A, slot, op.Flags, op.Extra)], out _);
                break;
            case 1:
                h.MmuUpdate(v, [Request(h, op.A, slot, op.Flags, op.Extra), Request(h, op.B, Slots[op.Slot2 % Slots.Length], op.Flags >> 3, op.Extra >> 2)], out _);
                break;
            case 2:
                h.MmuextOp(v, [MmuExtOpRequest.Pin(1 + (op.Extra % 4), Frame(h, op.A))], out _);
                break;
            case 3:
                h.MmuextOp(v, [MmuExtOpRequest.Unpin(Frame(h, op.A))], out _);
                break;
            case 4:
                h.MmuextOp(v, [MmuExtOpRequest.NewBaseptr(Frame(h, op.A))], out _);
                break;
            case 5:
                h.MmuextOp(v, [MmuExtOpRequest.NewUserBaseptr(op.Extra % 3 == 0 ? 0 : Frame(h, op.A))], out _);
                break;
            case 6:
                h.UpdateVaMapping(v, MappedVa(h, v, op.Slot, op.Slot2, op.Extra), Entry(h, op.B, op.Flags), (ulong)(op.Flags >> 10) % 3 | ((op.Extra & 1) != 0 ? UvmFlags.All : 0));
                break;
            case 7:
                h.Store(v, MappedVa(h, v, op.Slot, op.Slot2, op.Extra), Entry(h, op.B, op.Flags));
                break;
            case 8:
                h.Xchg(v, MappedVa(h, v, op.Slot, op.Slot2, op.Extra), Entry(h, op.B, op.Flags), out _);
                break;
            case 9:
                h.Load(v, MappedVa(h, v, op.Slot, op.Slot2, op.Extra), out _);
                break;
            case 10:
                h.MmuextOp(v, [(op.Extra % 4) switch
                {
                    0 => new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0),
                    1 => new MmuExtOpRequest(MmuExtOp.TlbFlushAll, 0),
                    2 => MmuExtOpRequest.InvlpgMulti(Va(op.Slot, op.Slot2, op.Extra), (ulong)op.Flags),
                    _ => new MmuExtOpRequest(MmuExtOp.InvlpgAll, Va(op.Slot, op.Slot2, op.Extra)),
                }], out _);
                break;
            case 11:
            {
                MulticallEntry[] calls =
                [
                    MulticallEntry.UpdateVaMapping(Va(op.Slot, op.Slot2, op.Extra), Entry(h, op.B, op.Flags), UvmFlags.Invlpg),
                    MulticallEntry.MmuUpdate(0, 1),
                    (op.Extra & 2) != 0 ? MulticallEntry.Iret() : MulticallEntry.MmuextOp(0, 1),
                    MulticallEntry.MmuUpdate(1, 1),
                ];
                h.Multicall(v, calls, [Request(h, op.A, slot, op.Flags, op.Extra), Request(h, op.B, slot, op.Flags >> 2, 0)], [MmuExtOpRequest.Pin(1 + (op.Extra % 4), Frame(h, op.B))]);
                break;
            }

            case 12:
                if ((op.Extra & 1) != 0)
                {
                    h.Iret(v);
                }
                else
                {
                    h.EnterKernel(v);
                }

                break;
            case 13:
                h.VcpuInitialise(v, op.B % h.VcpuCount, Frame(h, op.A), (op.Extra & 1) != 0 ? Frame(h, op.B) : 0);
                break;
            case 14:
                if ((op.Extra & 1) != 0)
                {
                    h.DecreaseReservation(v, Frame(h, op.A));
                }
                else
                {
                    h.PopulatePhysmap(v);
                }

                break;
            case 16:
            case 17:
            {
                // A guest filling fresh tables: four well-formed entries, each an unchecked write while the frame
                // is not yet a validated table, naming the next frame of the chain.
                // Four distinct frames of the first twelve; frames 12–15 are the usual data pages.
                var first = h.Config.FirstGuestFrame;
                var ia = op.A % 12;
                var ib = (ia + 1 + (op.B % 3)) % 12;
                var ic = (ib + 1 + (op.Extra % 3)) % 12;
                var id = (ic + 1 + (op.Flags % 3)) % 12;
                uint a = first + (uint)ia, b = first + (uint)ib, c = first + (uint)ic, d = first + (uint)id;
                var rw = PageFlags.Present | PageFlags.Rw | PageFlags.User;
                h.MmuUpdate(v, [
                    MmuUpdateRequest.Normal(a, Slots[op.Slot % Slots.Length], PageFlags.Entry(b, rw)),
                    MmuUpdateRequest.Normal(b, Slots[op.Slot2 % Slots.Length], PageFlags.Entry(c, rw)),
                    MmuUpdateRequest.Normal(c, Slots[op.Extra % Slots.Length], PageFlags.Entry(d, rw)),
                    MmuUpdateRequest.Normal(d, Slots[(op.Extra / 7) % Slots.Length], PageFlags.Entry(first + 12 + (uint)((op.A / 12) % 4), (op.Flags & 1) != 0 ? rw : PageFlags.Present)),
                ], out _);
                if (op.Kind % Kinds == 17)
                {
                    // ... and switching to it, which validates the whole tree.
                    h.MmuextOp(v, [MmuExtOpRequest.NewBaseptr(a)], out _);
                }

                break;
            }

            case 18:
                // A data page that a tree maps read-only becomes an L1: stores through that mapping then trap (ptwr).
                h.MmuextOp(v, [MmuExtOpRequest.Pin(1, h.Config.FirstGuestFrame + 12 + (uint)(op.A % 4))], out _);
                break;
            default:
                h.MmuextOp(v, [(op.Extra % 5) switch
                {
                    0 => new MmuExtOpRequest(MmuExtOp.ClearPage, Frame(h, op.A)),
                    1 => new MmuExtOpRequest(MmuExtOp.CopyPage, Frame(h, op.A), Frame(h, op.B)),
                    2 => new MmuExtOpRequest((MmuExtOp)(op.Flags % 24), Frame(h, op.A), Frame(h, op.B)),
                    3 => new MmuExtOpRequest(MmuExtOp.SetLdt, Va(op.Slot, op.Slot2, op.Extra), (ulong)op.Flags),
                    _ => MmuExtOpRequest.Pin(1 + (op.Flags % 4), Frame(h, op.A)),
                }], out _);
                break;
        }
    }

    private static MmuUpdateRequest Request(Hypervisor h, int a, int slot, int flags, int extra)
    {
        var cmd = (extra % 11) switch
        {
            0 => MmuUpdateCommand.PtUpdatePreserveAd,
            1 => MmuUpdateCommand.MachphysUpdate,
            2 => (MmuUpdateCommand)(4 + (extra % 4)),
            _ => MmuUpdateCommand.NormalPtUpdate,
        };
        var table = Frame(h, a);
        var target = Entry(h, a / 3 + extra, flags);
        return new MmuUpdateRequest(((ulong)table << 12) | ((ulong)slot << 3) | (ulong)cmd, target);
    }
}
